use super::*;

#[test]
fn shape_rejects_bad_sizes() {
    assert!(matches!(Shape::new(0, 3, 3), Err(Error::EmptyImage { .. })));
    assert!(matches!(
        Shape::new(3, 3, 2),
        Err(Error::UnsupportedChannels(2))
    ));
    assert!(matches!(
        Shape::new(MAX_SIDE + 1, 1, 1),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn strided_view_reads_the_right_rows() -> Result<()> {
    // 2x2 gray with one padding element per row.
    let data = [1u8, 2, 99, 3, 4];
    let v = ImageView::with_stride(&data, 2, 2, 1, 3)?;
    assert_eq!(v.row(1), &[3, 4]);
    assert_eq!(v.to_image().as_slice(), &[1, 2, 3, 4]);
    Ok(())
}

#[test]
fn short_buffers_and_strides_are_refused() {
    let data = [0u8; 5];
    assert!(matches!(
        ImageView::with_stride(&data, 2, 2, 1, 1),
        Err(Error::StrideTooShort { stride: 1, row: 2 })
    ));
    assert!(matches!(
        ImageView::with_stride(&data, 2, 2, 1, 4),
        Err(Error::BufferTooShort { len: 5, needed: 6 })
    ));
    assert!(matches!(
        ImageView::with_stride(&data, 2, 2, 1, usize::MAX),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn crop_shares_the_buffer_and_checks_bounds() -> Result<()> {
    let img = Image::from_fn(4, 3, 1, |x, y, _| (10 * y + x) as u8)?;
    let c = img.view().crop(1, 1, 2, 2)?;
    assert_eq!(c.to_image().as_slice(), &[11, 12, 21, 22]);
    assert!(img.view().crop(3, 0, 2, 1).is_err());
    assert!(img.view().crop(usize::MAX, 0, 2, 1).is_err());
    Ok(())
}

#[test]
fn allocation_limit_is_enforced() {
    let err = Image::<u8>::new_limited(100, 100, 3, 9_999).err();
    assert_eq!(
        err.as_ref().map(ToString::to_string).as_deref(),
        Some("image size 100x100x3 exceeds the limit of 9999 pixels")
    );
    let side = Shape::new(MAX_SIDE + 1, 1, 1).err();
    assert_eq!(
        side.map(|e| e.to_string()),
        Some(format!(
            "image size {}x1x1 exceeds the limit of {MAX_SIDE} pixels per side",
            MAX_SIDE + 1
        ))
    );
}

#[test]
fn u8_rounds_half_to_even_and_saturates() {
    assert_eq!(u8::from_f32(2.5), 2);
    assert_eq!(u8::from_f32(3.5), 4);
    assert_eq!(u8::from_f32(-3.0), 0);
    assert_eq!(u8::from_f32(300.0), 255);
    assert_eq!(u8::from_f32(f32::NAN), 0);
    assert_eq!(u8::from_f32(f32::INFINITY), 255);
    assert_eq!(u8::from_f32(f32::NEG_INFINITY), 0);
}

#[test]
fn u8_rounding_equals_round_ties_even_everywhere_in_range() {
    // Every f32 from -2 to 258 in steps of 1/1024 (ties included), plus
    // the neighbours of each half-integer.
    let reference = |v: f32| v.round_ties_even().clamp(0.0, 255.0) as u8;
    for k in -2048..=258 * 1024 {
        let v = k as f32 / 1024.0;
        for x in [v, v.next_up(), v.next_down()] {
            assert_eq!(u8::from_f32(x), reference(x), "{x}");
        }
    }
}
