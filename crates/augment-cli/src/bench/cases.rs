//! The inputs and the timed cases of `augment bench`: every kernel of the
//! README's speed table on the criterion benches' inputs, and the pipeline.

use super::*;

/// The bundled photo resized to `width x height` as the criterion benches
/// make it (`image`'s triangle filter).
pub(super) fn photo(width: usize, height: usize) -> Result<image::DynamicImage> {
    let decoded = image::load_from_memory(DEMO_PHOTO).context("decoding the bundled photo")?;
    let (w, h) = (u32::try_from(width)?, u32::try_from(height)?);
    Ok(image::DynamicImage::ImageRgb8(
        decoded
            .resize_exact(w, h, image::imageops::FilterType::Triangle)
            .to_rgb8(),
    ))
}

/// Rotate 17° and zoom 1.1 about the centre, as a pull map.
fn rotate_zoom() -> Result<Map> {
    let centre = ((W as f64 - 1.0) / 2.0, (H as f64 - 1.0) / 2.0);
    let forward = Affine::rotate_about(17.0, centre).then(&Affine::scale_about(1.1, 1.1, centre));
    Ok(Map::Affine(forward.inverse()?))
}

/// The top edge pulled in by 10% on each side, as a pull map.
fn keystone() -> Result<Map> {
    let (w, h) = (W as f64 - 1.0, H as f64 - 1.0);
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let moved = [(0.1 * w, 0.0), (0.9 * w, 0.05 * h), (w, h), (0.0, 0.95 * h)];
    Ok(Map::Projective(
        Projective::from_points(corners, moved)?.inverse()?,
    ))
}

/// A gentle wave (`cv2.remap` with float maps).
fn wave() -> Result<Map> {
    Ok(Map::Grid(Grid::from_fn(W, H, |j, i| {
        let (x, y) = (j as f32, i as f32);
        (x + 4.0 * (y / 23.0).sin(), y + 4.0 * (x / 31.0).sin())
    })?))
}

fn warp_case<'a, T: Element>(
    key: String,
    what: String,
    isa: Isa,
    src: &'a Image<T>,
    map: &'a Map,
    padding: Padding,
) -> Result<Case<'a>> {
    let mut dst = Image::<T>::new(src.width(), src.height(), src.channels())?;
    let options = sample::WarpOptions {
        interpolation: Interpolation::Bilinear,
        padding,
        values: None,
    };
    Ok(Case {
        key,
        what,
        isa,
        pixels: src.width() * src.height(),
        run: Box::new(move || {
            Ok(sample::warp_into_with_isa(
                isa,
                src.view(),
                dst.view_mut(),
                map,
                &options,
            )?)
        }),
    })
}

/// A filter of `src` into a buffer of its shape, on `isa`.
fn filter_case<'a, T: Element>(
    key: String,
    what: String,
    isa: Isa,
    src: &'a Image<T>,
    run: impl Fn(Isa, &Image<T>, &mut Image<T>) -> filter::Result<()> + 'a,
) -> Result<Case<'a>> {
    let mut dst = Image::<T>::new(src.width(), src.height(), src.channels())?;
    Ok(Case {
        key,
        what,
        isa,
        pixels: src.width() * src.height(),
        run: Box::new(move || Ok(run(isa, src, &mut dst)?)),
    })
}

/// The inputs the cases borrow.
pub(super) struct Inputs {
    rgb: Image<u8>,
    gray: Image<u8>,
    rgba: Image<u8>,
    rgb_f32: Image<f32>,
    rotate_zoom: Map,
    keystone: Map,
    wave: Map,
    resize: Pipeline,
}

impl Inputs {
    pub(super) fn new() -> Result<Inputs> {
        let photo = photo(W, H)?;
        Ok(Inputs {
            rgb: Image::try_from(photo.to_rgb8())?,
            gray: Image::try_from(photo.to_luma8())?,
            rgba: Image::try_from(photo.to_rgba8())?,
            rgb_f32: Image::try_from(photo.to_rgb32f())?,
            rotate_zoom: rotate_zoom()?,
            keystone: keystone()?,
            wave: wave()?,
            resize: Pipeline::builder().resize(W / 4, H / 4).build()?,
        })
    }

    /// Every kernel case, in the order of the README's table.
    pub(super) fn cases(&self, selected: Isa) -> Result<Vec<Case<'_>>> {
        let mut cases = Vec::new();
        let paddings = [
            ("constant", Padding::Zeros),
            ("border", Padding::Border),
            ("reflect", Padding::Reflect),
            ("reflect101", Padding::Reflect101),
            ("wrap", Padding::Wrap),
        ];
        let rz = "bilinear warp, rotate 17° zoom 1.1";
        for (format, label, src) in [
            ("rgb_u8", "RGB u8", &self.rgb),
            ("gray_u8", "gray u8", &self.gray),
            ("rgba_u8", "RGBA u8", &self.rgba),
        ] {
            for (name, padding) in paddings {
                cases.push(warp_case(
                    format!("warp_affine_{format}/{name}"),
                    format!("{rz}, {label}, {name}"),
                    selected,
                    src,
                    &self.rotate_zoom,
                    padding,
                )?);
            }
        }
        for (name, padding) in paddings {
            cases.push(warp_case(
                format!("warp_affine_rgb_f32/{name}"),
                format!("{rz}, RGB f32, {name}"),
                selected,
                &self.rgb_f32,
                &self.rotate_zoom,
                padding,
            )?);
        }
        cases.push(warp_case(
            "warp_affine_rgb_u8_scalar/border".into(),
            format!("{rz}, RGB u8, border, on the scalar reference"),
            Isa::Scalar,
            &self.rgb,
            &self.rotate_zoom,
            Padding::Border,
        )?);
        cases.push(warp_case(
            "warp_projective_rgb_u8/border".into(),
            "bilinear warp, keystone (top edge in by 10%), RGB u8, border".into(),
            selected,
            &self.rgb,
            &self.keystone,
            Padding::Border,
        )?);
        cases.push(warp_case(
            "remap_grid_rgb_u8/border".into(),
            "bilinear remap through a wave grid, RGB u8, border".into(),
            selected,
            &self.rgb,
            &self.wave,
            Padding::Border,
        )?);
        for sigma in [1.0f32, 3.0, 10.0, 30.0] {
            cases.push(filter_case(
                format!("gaussian_rgb_u8/sigma={sigma}"),
                format!("Gaussian blur σ = {sigma}, RGB u8, reflect101"),
                selected,
                &self.rgb,
                move |isa, s, d| {
                    filter::gaussian_blur_into_with_isa(
                        isa,
                        s.view(),
                        d.view_mut(),
                        sigma,
                        sigma,
                        FILTER_PADDING,
                    )
                },
            )?);
        }
        for sigma in [1.0f32, 3.0, 10.0, 30.0] {
            cases.push(filter_case(
                format!("gaussian_rgb_f32/sigma={sigma}"),
                format!("Gaussian blur σ = {sigma}, RGB f32, reflect101"),
                selected,
                &self.rgb_f32,
                move |isa, s, d| {
                    filter::gaussian_blur_into_with_isa(
                        isa,
                        s.view(),
                        d.view_mut(),
                        sigma,
                        sigma,
                        FILTER_PADDING,
                    )
                },
            )?);
        }
        for k in [15usize, 61] {
            cases.push(filter_case(
                format!("box_rgb_u8/k={k}"),
                format!("box blur {k}x{k}, RGB u8, reflect101"),
                selected,
                &self.rgb,
                move |isa, s, d| {
                    filter::box_blur_into_with_isa(
                        isa,
                        s.view(),
                        d.view_mut(),
                        k,
                        k,
                        FILTER_PADDING,
                    )
                },
            )?);
        }
        cases.push(filter_case(
            "motion_rgb_u8/L=15,angle=30".into(),
            "motion blur length 15 at 30°, RGB u8, reflect101".into(),
            selected,
            &self.rgb,
            |isa, s, d| {
                filter::motion_blur_into_with_isa(
                    isa,
                    s.view(),
                    d.view_mut(),
                    15.0,
                    30.0,
                    FILTER_PADDING,
                )
            },
        )?);
        cases.push(self.box_downscale_case(selected));
        cases.push(self.downscale_case(selected)?);
        Ok(cases)
    }

    /// The antialiasing box downscale (`filter::box_downscale_into`): 4x4
    /// blocks of the whole source into buffers kept between calls, as the
    /// pipeline keeps them per thread; per source pixel, since each is read
    /// once. Keyed like its criterion group.
    fn box_downscale_case(&self, selected: Isa) -> Case<'_> {
        let (mut out, mut scratch) = (Vec::new(), filter::DownscaleScratch::new());
        Case {
            key: "box_downscale_rgb_u8/4x4".into(),
            what: "antialiasing box downscale, 4x4 blocks, per source pixel".into(),
            isa: selected,
            pixels: W * H,
            run: Box::new(move || {
                filter::box_downscale_into_with_isa(
                    selected,
                    self.rgb.view(),
                    4,
                    4,
                    FILTER_PADDING,
                    None,
                    &mut out,
                    &mut scratch,
                )?;
                Ok(())
            }),
        }
    }

    /// The same work seen through the pipeline: a resize to a quarter of
    /// each side is a 4x4 box level of the whole source (the bulk of the
    /// work), then a bilinear pass over the 16x smaller output.
    fn downscale_case(&self, selected: Isa) -> Result<Case<'_>> {
        let plan = self.resize.plan(W, H, 0)?;
        let mut dst = Image::<u8>::new(plan.width(), plan.height(), 3)?;
        Ok(Case {
            key: "resize_antialiased_rgb_u8/1024x768_to_256x192".into(),
            what: "pipeline resize to 256x192: 4x4 box level + bilinear, per source pixel".into(),
            isa: selected,
            pixels: W * H,
            run: Box::new(move || {
                Ok(self
                    .resize
                    .apply_plan_into(self.rgb.view(), dst.view_mut(), &plan)?)
            }),
        })
    }
}

/// The criterion pipeline bench's pipeline: every step fires (p = 1).
pub(super) fn bench_pipeline() -> augment::Result<Pipeline> {
    Pipeline::builder()
        .flip_horizontal(1.0)
        .perspective(-0.1..=0.1, 1.0)
        .rotate(-10.0..=10.0, 1.0)
        .zoom(1.0..=1.1, 1.0)
        .brightness(-0.2..=0.2, 1.0)
        .contrast(-0.2..=0.2, 1.0)
        .resize(PIPELINE_SIDE, PIPELINE_SIDE)
        .seed(7)
        .build()
}
