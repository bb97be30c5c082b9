//! The SVG of `bench scaling` (plotters, SVG backend only): a title with the CPU and the date,
//! two log-scale panels (time vs Q limbs, time vs ring degree), ours and OpenFHE's with the
//! OpenFHE ÷ ours ratio beside each OpenFHE point, and notes on the parameters below.

use super::super::CliResult;
use super::{CaseResult, RunInfo, Sweep};
use plotters::prelude::*;
use std::path::Path;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 660;
const TITLE_H: u32 = 70;
const NOTES_H: u32 = 96;
const OURS: RGBColor = RGBColor(31, 94, 168);
const PEER: RGBColor = RGBColor(200, 62, 40);
/// Our KLSS method's line.
const KLSS: RGBColor = RGBColor(46, 140, 80);
const GREY: RGBColor = RGBColor(90, 90, 90);

/// One panel's points: x (Q limbs or log2 n), ours ms, OpenFHE ms.
struct Panel {
    sweep: Sweep,
    /// The fixed coordinate: log2 n of the limb sweep, Q limbs of the degree sweep.
    fixed: u32,
    points: Vec<(i32, f64, Option<f64>)>,
    /// Our KLSS method: x, ms.
    klss: Vec<(i32, f64)>,
}

/// Writes the plot of `results` to `path`.
pub fn write_svg(path: &Path, results: &[CaseResult], info: &RunInfo) -> CliResult {
    let err = |e: &dyn std::fmt::Display| format!("drawing {}: {e}", path.display());
    let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (title, rest) = root.split_vertically(TITLE_H);
    let (body, notes) = rest.split_vertically(HEIGHT - TITLE_H - NOTES_H);

    let peer_name = match &info.openfhe {
        Ok(v) => format!(
            "OpenFHE {} (PyPI wheel)",
            v["openfhe_version"].as_str().unwrap_or("?")
        ),
        Err(_) => "OpenFHE (not measured)".to_string(),
    };
    let reps = info
        .reps
        .map_or("medians".to_string(), |r| format!("medians of {r}"));
    title
        .draw_text(
            &format!(
                "Relinearization time (one key switch at the top level, 1 thread, {reps}): \
                 ckks-accel hybrid and KLSS vs OpenFHE"
            ),
            &("sans-serif", 19)
                .into_font()
                .style(FontStyle::Bold)
                .color(&BLACK),
            (16, 12),
        )
        .map_err(|e| err(&e))?;
    title
        .draw_text(
            &format!(
                "CPU: {}, core clock {:.2} GHz (measured) · ckks-accel {} ({}) · {peer_name} · {} UTC",
                info.cpu,
                info.clock_ghz,
                env!("CARGO_PKG_VERSION"),
                info.isa,
                info.date
            ),
            &("sans-serif", 14).into_font().color(&GREY),
            (16, 42),
        )
        .map_err(|e| err(&e))?;

    let panels = body.split_evenly((1, 2));
    for (area, sweep) in panels.iter().zip([Sweep::Limbs, Sweep::Degree]) {
        let fixed = results
            .iter()
            .find(|r| r.shape.sweep == sweep)
            .map_or(0, |r| match sweep {
                Sweep::Limbs => r.shape.log_n,
                Sweep::Degree => u32::try_from(r.shape.q_limbs).unwrap_or(u32::MAX),
            });
        let panel = Panel {
            sweep,
            fixed,
            points: results
                .iter()
                .filter(|r| r.shape.sweep == sweep)
                .map(|r| {
                    let x = match sweep {
                        Sweep::Limbs => i32::try_from(r.shape.q_limbs).unwrap_or(i32::MAX),
                        Sweep::Degree => r.shape.log_n as i32,
                    };
                    (x, r.ours.ms, r.openfhe_ms())
                })
                .collect(),
            klss: results
                .iter()
                .filter(|r| r.shape.sweep == sweep)
                .filter_map(|r| {
                    let x = match sweep {
                        Sweep::Limbs => i32::try_from(r.shape.q_limbs).unwrap_or(i32::MAX),
                        Sweep::Degree => r.shape.log_n as i32,
                    };
                    Some((x, r.ours.klss.as_ref()?.ms))
                })
                .collect(),
        };
        draw_panel(area, &panel, &peer_name, info).map_err(|e| err(&e))?;
    }

    let font = ("sans-serif", 13).into_font().color(&GREY);
    for (i, line) in notes_lines(results, info).iter().enumerate() {
        notes
            .draw_text(line, &font, (16, 8 + 18 * i as i32))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// One panel: log-scale time axis, key points at the measured x values.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
    peer_name: &str,
    info: &RunInfo,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    if panel.points.is_empty() {
        return Ok(());
    }
    let xs: Vec<i32> = panel.points.iter().map(|p| p.0).collect();
    let (x_lo, x_hi) = (
        *xs.iter().min().unwrap_or(&0),
        *xs.iter().max().unwrap_or(&0),
    );
    let pad = ((x_hi - x_lo) / 12).max(1);
    let all_ms = panel
        .points
        .iter()
        .flat_map(|&(_, o, p)| std::iter::once(o).chain(p))
        .chain(panel.klss.iter().map(|&(_, k)| k));
    let (y_lo, y_hi) = all_ms.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (y_lo, y_hi) = (y_lo / 1.6, y_hi * 1.8);
    let (caption, x_desc) = match panel.sweep {
        Sweep::Limbs => (
            format!(
                "vs Q limbs at n = {} (chains shaped like set L)",
                pow2(panel.fixed)
            ),
            "Q limbs ℓ (top level of a chain of ℓ primes)",
        ),
        Sweep::Degree => (
            format!("vs ring degree at {} Q limbs (set S's chain)", panel.fixed),
            "ring degree n",
        ),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 17))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            ((x_lo - pad)..(x_hi + pad)).with_key_points(xs.clone()),
            (y_lo..y_hi)
                .log_scale()
                .with_key_points(y_key_points(y_lo, y_hi)),
        )
        .map_err(|x| e(&x))?;
    let sweep = panel.sweep;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("relinearization time (ms, log scale)")
        .x_label_formatter(&|x| match sweep {
            Sweep::Limbs => format!("{x}"),
            Sweep::Degree => pow2(*x as u32),
        })
        .y_label_formatter(&|y| format!("{}", (y * 1e3).round() / 1e3))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(|x| e(&x))?;

    chart
        .draw_series(
            LineSeries::new(
                panel.points.iter().map(|&(x, o, _)| (x, o)),
                OURS.stroke_width(2),
            )
            .point_size(4),
        )
        .map_err(|x| e(&x))?
        .label(format!("ckks-accel hybrid ({})", info.isa))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], OURS.stroke_width(2)));
    if !panel.klss.is_empty() {
        chart
            .draw_series(
                LineSeries::new(panel.klss.iter().copied(), KLSS.stroke_width(2)).point_size(3),
            )
            .map_err(|x| e(&x))?
            .label(format!("ckks-accel KLSS ({})", info.isa))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], KLSS.stroke_width(2)));
    }
    let peer: Vec<(i32, f64, f64)> = panel
        .points
        .iter()
        .filter_map(|&(x, o, p)| Some((x, o, p?)))
        .collect();
    if !peer.is_empty() {
        chart
            .draw_series(
                LineSeries::new(peer.iter().map(|&(x, _, p)| (x, p)), PEER.stroke_width(2))
                    .point_size(4),
            )
            .map_err(|x| e(&x))?
            .label(peer_name.to_string())
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], PEER.stroke_width(2)));
        // Below and right of each OpenFHE point: clear of a rising or flat line.
        let font = ("sans-serif", 12).into_font().color(&PEER);
        chart
            .draw_series(peer.iter().map(|&(x, o, p)| {
                EmptyElement::at((x, p)) + Text::new(format!("{:.1}×", p / o), (7, 5), font.clone())
            }))
            .map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(RGBColor(200, 200, 200))
        .background_style(WHITE.mix(0.9))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|x| e(&x))?;
    Ok(())
}

/// `2` with `k` in superscript digits.
fn pow2(k: u32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let exp: String = k
        .to_string()
        .bytes()
        .map(|b| SUP[usize::from(b - b'0')])
        .collect();
    format!("2{exp}")
}

/// 1-2-5 steps within [lo, hi]; the two ends if fewer than two steps fall inside.
fn y_key_points(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let y = m * decade;
            if (lo..=hi).contains(&y) {
                out.push(y);
            }
        }
        decade *= 10.0;
    }
    if out.len() < 2 {
        out = vec![lo, hi];
    }
    out
}

/// The parameter notes under the panels.
fn notes_lines(results: &[CaseResult], info: &RunInfo) -> Vec<String> {
    let peer_p = |sweep: Sweep| {
        let ps: Vec<String> = results
            .iter()
            .filter(|r| r.shape.sweep == sweep)
            .filter_map(|r| r.openfhe.as_ref()?["p_limbs"].as_u64())
            .map(|p| p.to_string())
            .collect();
        if ps.is_empty() {
            String::new()
        } else {
            format!("; OpenFHE picks its own 60-bit P: {} primes", ps.join(", "))
        }
    };
    let first = |sweep: Sweep| results.iter().find(|r| r.shape.sweep == sweep);
    let mut lines = Vec::new();
    if let Some(r) = first(Sweep::Limbs) {
        let s = &r.shape;
        let adjusted: Vec<String> = results
            .iter()
            .filter_map(|r| {
                Some(format!(
                    "ℓ = {}: {}",
                    r.shape.q_limbs,
                    r.shape.adjusted.as_ref()?
                ))
            })
            .collect();
        let adjusted = if adjusted.is_empty() {
            String::new()
        } else {
            format!(" ({})", adjusted.join(", "))
        };
        lines.push(format!(
            "Left: n = {}, q0 {} bits + {}-bit primes, dnum {}{adjusted}; P {} × {} bits (ours){}. \
             Labels: OpenFHE time ÷ ours.",
            pow2(s.log_n),
            s.first_bits,
            s.scale_bits,
            results
                .iter()
                .filter(|r| r.shape.sweep == Sweep::Limbs)
                .map(|r| r.shape.dnum)
                .max()
                .unwrap_or(s.dnum),
            s.p_limbs,
            s.p_bits,
            peer_p(Sweep::Limbs)
        ));
    }
    if let Some(r) = first(Sweep::Degree) {
        let s = &r.shape;
        lines.push(format!(
            "Right: Q = {} + {} × {} bits, dnum {}; P {} × {} bits (ours){}.",
            s.first_bits,
            s.q_limbs - 1,
            s.scale_bits,
            s.dnum,
            s.p_limbs,
            s.p_bits,
            peer_p(Sweep::Degree)
        ));
    }
    let not_set = |sweep: Sweep| {
        results
            .iter()
            .filter(|r| r.shape.sweep == sweep)
            .filter(|r| {
                r.openfhe.as_ref().and_then(|v| v["security"].as_str()) == Some("HEStd_NotSet")
            })
            .map(|r| match sweep {
                Sweep::Limbs => r.shape.q_limbs.to_string(),
                Sweep::Degree => pow2(r.shape.log_n),
            })
            .collect::<Vec<_>>()
    };
    let (left, right) = (not_set(Sweep::Limbs), not_set(Sweep::Degree));
    if !left.is_empty() || !right.is_empty() {
        let mut which = Vec::new();
        if !left.is_empty() {
            which.push(format!("left ℓ = {}", left.join(", ")));
        }
        if !right.is_empty() {
            which.push(format!("right n = {}", right.join(", ")));
        }
        lines.push(format!(
            "OpenFHE runs {} at HEStd_NotSet: below 128-bit security for the chain (ours does not \
             check security; both use the same shapes).",
            which.join("; ")
        ));
    }
    let load = |l: Option<f64>| l.map_or("?".to_string(), |l| format!("{l:.2}"));
    lines.push(format!(
        "1-minute load average {} at the start, {} at the end (2 vCPUs; above ~0.5 other work \
         shared the machine and the times are rough). {}",
        load(info.load.0),
        load(info.load.1),
        match &info.openfhe {
            Ok(_) => "Regenerate: cargo run --release -p ckks-accel-cli -- bench scaling".into(),
            Err(why) => format!("OpenFHE not measured: {why}"),
        }
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::y_key_points;

    #[test]
    fn powers_of_two_in_superscript() {
        assert_eq!(super::pow2(16), "2¹⁶");
        assert_eq!(super::pow2(9), "2⁹");
    }

    #[test]
    fn key_points_are_1_2_5_within_range() {
        assert_eq!(
            y_key_points(0.8, 60.0),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        );
        assert_eq!(y_key_points(3.0, 4.0), vec![3.0, 4.0]);
    }
}
