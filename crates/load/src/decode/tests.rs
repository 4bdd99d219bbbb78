use super::*;

#[test]
fn orientation_round_trips_and_maps_corners() {
    for v in 1..=8 {
        let o = Orientation::from_exif(v).map(Orientation::exif);
        assert_eq!(o, Some(v));
    }
    // Rotate90: the stored top-left corner shows at the top-right.
    let (w, h) = (4.0, 3.0);
    let (uw, _) = Orientation::Rotate90.upright_size((w, h));
    assert_eq!(
        Orientation::Rotate90.to_stored((uw - 1.0, 0.0), (w, h)),
        (0.0, 0.0)
    );
    // Rotate270: it shows at the bottom-left.
    assert_eq!(
        Orientation::Rotate270.to_stored((0.0, w - 1.0), (w, h)),
        (0.0, 0.0)
    );
}

#[test]
fn sniffing_names_what_it_refuses() {
    assert_eq!(sniff(b""), Err(DecodeError::Empty));
    assert_eq!(
        sniff(b"GIF89a......"),
        Err(DecodeError::UnsupportedFormat { format: "GIF" })
    );
    assert!(matches!(
        sniff(b"hello world"),
        Err(DecodeError::NotAnImage { start }) if start == "68 65 6c 6c 6f 20 77 6f"
    ));
}

#[test]
fn requests_are_checked() {
    let header = Header {
        format: Format::Png,
        width: 10,
        height: 5,
        orientation: Orientation::Normal,
        color: ColorModel::Rgb,
        bit_depth: 8,
        progressive: false,
    };
    assert!(Request::new().scale(3).check(&header).is_err());
    assert!(Request::new().eighths(0).check(&header).is_err());
    assert!(Request::new().eighths(9).check(&header).is_err());
    assert!(Request::new().eighths(5).check(&header).is_ok());
    assert!(Request::new().max_pixels(49).check(&header).is_err());
    assert!(Request::new().max_pixels(50).check(&header).is_ok());
    let r = |x, y, width, height| Region {
        x,
        y,
        width,
        height,
    };
    assert!(Request::new().region(r(0, 0, 10, 5)).check(&header).is_ok());
    assert!(
        Request::new()
            .region(r(1, 0, 10, 5))
            .check(&header)
            .is_err()
    );
    assert!(Request::new().region(r(0, 0, 0, 5)).check(&header).is_err());
}

#[test]
fn delivered_maps_through_scale_and_region() {
    let header = Header {
        format: Format::Jpeg,
        width: 100,
        height: 80,
        orientation: Orientation::Rotate90,
        color: ColorModel::Rgb,
        bit_depth: 8,
        progressive: false,
    };
    // A 40x20 region at (10, 30), scale 2, turned: 10x20 delivered.
    let d = Delivered {
        header,
        region: Region {
            x: 10,
            y: 30,
            width: 40,
            height: 20,
        },
        eighths: 4,
        orientation: Orientation::Rotate90,
        width: 10,
        height: 20,
    };
    // Delivered top-right is the region's stored top-left block,
    // whose centre is stored (10.5, 30.5).
    assert_eq!(d.to_stored(9.0, 0.0), (10.5, 30.5));
}

#[test]
fn delivered_maps_through_a_scale_of_eighths() {
    let header = Header {
        format: Format::Jpeg,
        width: 100,
        height: 80,
        orientation: Orientation::Normal,
        color: ColorModel::Rgb,
        bit_depth: 8,
        progressive: false,
    };
    // At 5/8, 8 stored pixels make 5: a 36x20 region at (16, 8) is
    // 23x13 pixels at (10, 5) of the 63x50 scaled image.
    let region = Region {
        x: 16,
        y: 8,
        width: 36,
        height: 20,
    };
    let d = Delivered {
        header,
        region,
        eighths: 5,
        orientation: Orientation::Normal,
        width: 23,
        height: 13,
    };
    assert_eq!(d.upright_window(), Some((10, 5, 23, 13)));
    // A scaled pixel covers 1.6 stored ones: the first's centre is 0.3
    // past the region's first stored centre.
    let (x, y) = d.to_stored(0.0, 1.0);
    assert!(
        (x - 16.3).abs() < 1e-12 && (y - 9.9).abs() < 1e-12,
        "{x} {y}"
    );
    // A region not starting on a whole scaled pixel has no window.
    let d = Delivered {
        region: Region { x: 12, ..region },
        ..d
    };
    assert_eq!(d.upright_window(), None);
}
