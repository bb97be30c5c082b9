//! What the scaling outputs say about the machine and the moment: CPU name, load, UTC time.

/// 1-minute load average from /proc/loadavg.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `model name (family F, model M[, microarchitecture])` from /proc/cpuinfo, or "unknown CPU".
pub fn cpu_label() -> String {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return "unknown CPU".into();
    };
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().map(str::trim) == Some(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let model_name = field("model name").unwrap_or_else(|| "unknown CPU".into());
    let num = |name: &str| field(name).and_then(|v| v.parse::<u32>().ok());
    match (field("vendor_id"), num("cpu family"), num("model")) {
        (Some(vendor), Some(family), Some(model)) => {
            let arch = microarchitecture(&vendor, family, model)
                .map_or(String::new(), |a| format!(", {a}"));
            format!("{model_name} (family {family}, model {model}{arch})")
        }
        _ => model_name,
    }
}

/// The server microarchitectures with AVX-512 IFMA these sessions run on, from CPUID
/// family/model (VMs often hide the marketing name).
fn microarchitecture(vendor: &str, family: u32, model: u32) -> Option<&'static str> {
    match (vendor, family, model) {
        ("GenuineIntel", 6, 106 | 108) => Some("Ice Lake-SP"),
        ("GenuineIntel", 6, 143) => Some("Sapphire Rapids"),
        ("GenuineIntel", 6, 207) => Some("Emerald Rapids"),
        ("GenuineIntel", 6, 173 | 174) => Some("Granite Rapids"),
        ("AuthenticAMD", 25, 0x10..=0x1f | 0xa0..=0xaf) => Some("Zen 4"),
        ("AuthenticAMD", 26, _) => Some("Zen 5"),
        _ => None,
    }
}

/// Current UTC time as `YYYY-MM-DD HH:MM`.
pub fn utc_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}
