//! Whether the hand-written x86 kernels read scattered taps with hardware
//! gathers (`vpgatherdd`) or with one load per lane: decided once per
//! process from the CPU, and settable with `AUGMENT_GATHERS` for benches
//! and bug reports.
//!
//! Both ways read the same bytes, so the results are the same bits; only
//! the speed differs, and by CPU:
//!
//! - Intel's big cores since Skylake run a gather as a few micro-ops. On
//!   the project's Sapphire Rapids machine a gray `u8` warp took 22-24 %
//!   less time with them (AVX-512, where gray blocks gather their taps 16
//!   at a time) and 5-7 % less (AVX2, where only edge blocks gather): see
//!   `benches/RESULTS.md`.
//! - AMD microcodes gathers: Zen 3's 256-bit `vpgatherdd` is 39 micro-ops,
//!   one per 8 cycles (uops.info), and loads are reported faster on Zen 2
//!   and Zen 4 as well.
//! - Intel's microcode fix for Gather Data Sampling ("Downfall", 2023)
//!   slows gathers severalfold on Skylake to Ice Lake and Tiger Lake; Linux
//!   reports it as `Mitigation: Microcode` in
//!   `/sys/devices/system/cpu/vulnerabilities/gather_data_sampling`.
//!
//! So gathers are on for an Intel CPU whose kernel does not report that
//! mitigation, and off otherwise.
//!
//! ```
//! let gathers = geom::gathers();
//! println!("gathers {} ({})", if gathers.enabled { "on" } else { "off" }, gathers.reason);
//! ```

use std::sync::OnceLock;

/// Environment variable that sets [`gathers`]: `on` or `off` (any other
/// value leaves the choice to the CPU).
pub const GATHERS_VAR: &str = "AUGMENT_GATHERS";

/// Where Linux reports the Gather Data Sampling mitigation.
const GDS_STATUS: &str = "/sys/devices/system/cpu/vulnerabilities/gather_data_sampling";

/// Whether the x86 kernels use hardware gathers, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gathers {
    /// Gathers are used.
    pub enabled: bool,
    /// Why, in a few words (for `augment bench` and bug reports).
    pub reason: &'static str,
}

/// The process's choice: [`GATHERS_VAR`] if set to `on` or `off`, else
/// decided from the CPU's vendor and its Gather Data Sampling status (see
/// the module docs). Read once per process.
pub fn gathers() -> Gathers {
    static GATHERS: OnceLock<Gathers> = OnceLock::new();
    *GATHERS.get_or_init(|| {
        let setting = std::env::var(GATHERS_VAR).ok();
        decide(setting.as_deref(), intel_cpu, || {
            std::fs::read_to_string(GDS_STATUS).ok()
        })
    })
}

/// Whether the CPU's vendor string is Intel's.
fn intel_cpu() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let id = std::arch::x86_64::__cpuid(0);
        [id.ebx, id.edx, id.ecx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .eq(*b"GenuineIntel")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The choice from the setting, the vendor and the GDS status (each asked
/// only if needed).
fn decide(
    setting: Option<&str>,
    intel: impl FnOnce() -> bool,
    gds_status: impl FnOnce() -> Option<String>,
) -> Gathers {
    let on = |reason| Gathers {
        enabled: true,
        reason,
    };
    let off = |reason| Gathers {
        enabled: false,
        reason,
    };
    match setting.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("on") => return on("AUGMENT_GATHERS=on"),
        Some("off") => return off("AUGMENT_GATHERS=off"),
        _ => {}
    }
    if !intel() {
        return off("not an Intel CPU: microcoded gathers");
    }
    match gds_status() {
        Some(status) if status.trim_start().starts_with("Mitigation: Microcode") => {
            off("Intel with the Gather Data Sampling microcode mitigation")
        }
        _ => on("Intel"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: &str) -> impl FnOnce() -> Option<String> {
        let s = s.to_string();
        move || Some(s)
    }

    #[test]
    fn the_setting_wins_over_the_cpu() {
        let never = || -> bool { panic!("the vendor is not asked when the setting decides") };
        assert!(decide(Some("on"), never, || None).enabled);
        assert!(!decide(Some(" OFF "), || true, status("Not affected")).enabled);
    }

    #[test]
    fn intel_gathers_unless_the_gds_microcode_slows_them() {
        assert!(decide(None, || true, status("Not affected\n")).enabled);
        assert!(decide(None, || true, || None).enabled);
        assert!(decide(Some("maybe"), || true, status("Vulnerable")).enabled);
        let mitigated = decide(None, || true, status("Mitigation: Microcode\n"));
        assert!(!mitigated.enabled);
        assert!(mitigated.reason.contains("Gather Data Sampling"));
    }

    #[test]
    fn other_vendors_load() {
        let amd = decide(None, || false, status("Not affected"));
        assert!(!amd.enabled);
        assert!(amd.reason.contains("not an Intel CPU"));
    }

    #[test]
    fn the_process_choice_is_stable() {
        assert_eq!(gathers(), gathers());
    }
}
