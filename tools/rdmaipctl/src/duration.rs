// SPDX-License-Identifier: GPL-2.0

//! Durations on the command line and in output: whole milliseconds, written
//! `300ms`, `5s`, `1.5s`, `2m`, `1h`, or a bare number of milliseconds.

/// The units, longest suffix first, and their milliseconds.
const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];

/// Parses a duration into milliseconds (at most `u32::MAX`, the width of
/// the netlink attributes). Seconds, minutes and hours may have decimals,
/// as long as the result is whole milliseconds (`1.5s`, `0.5m`, `0.25h`).
pub fn parse_ms(text: &str) -> Result<u32, String> {
    let bad = |why: &str| format!("invalid duration \"{text}\": {why}");
    let (number, scale) = UNITS
        .iter()
        .find_map(|&(unit, scale)| text.strip_suffix(unit).map(|n| (n, scale)))
        .unwrap_or((text, 1));
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || number.ends_with('.') {
        return Err(bad("expected a number followed by ms, s, m or h"));
    }
    if !fraction.is_empty() && scale == 1 {
        return Err(bad("milliseconds must be whole"));
    }
    let too_long = || bad("too long (at most 4294967295ms)");
    // Trailing zeros of the decimals change nothing; more than 9 others
    // are finer than a millisecond for every unit.
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 9 {
        return Err(bad("finer than a millisecond"));
    }
    let whole: u128 = whole.parse().map_err(|_| too_long())?;
    let denominator = 10u128.pow(fraction.len() as u32);
    let numerator: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| too_long())?
    };
    let fraction_ms = numerator * u128::from(scale);
    if !fraction_ms.is_multiple_of(denominator) {
        return Err(bad("finer than a millisecond"));
    }
    let total = whole
        .checked_mul(u128::from(scale))
        .and_then(|w| w.checked_add(fraction_ms / denominator))
        .ok_or_else(too_long)?;
    u32::try_from(total).map_err(|_| too_long())
}

/// Formats milliseconds the way they are typed: whole seconds as `5s`,
/// anything else as `300ms`.
pub fn format_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn units() {
        assert_eq!(parse_ms("300ms"), Ok(300));
        assert_eq!(parse_ms("5s"), Ok(5000));
        assert_eq!(parse_ms("250"), Ok(250));
        assert_eq!(parse_ms("0"), Ok(0));
        assert_eq!(parse_ms("0s"), Ok(0));
        assert_eq!(parse_ms("0ms"), Ok(0));
        assert_eq!(parse_ms("2m"), Ok(120_000));
        assert_eq!(parse_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_ms("0m"), Ok(0));
    }

    #[test]
    fn decimal_minutes_and_hours() {
        assert_eq!(parse_ms("1.5m"), Ok(90_000));
        assert_eq!(parse_ms("0.25h"), Ok(900_000));
        assert_eq!(parse_ms("0.0001m"), Ok(6));
        assert!(parse_ms("0.00001m")
            .unwrap_err()
            .contains("finer than a millisecond"));
        assert!(parse_ms("1.m").is_err());
        assert!(parse_ms("1193.1h").unwrap_err().contains("too long"));
        assert_eq!(parse_ms("1193h"), Ok(4_294_800_000));
    }

    #[test]
    fn decimal_seconds() {
        assert_eq!(parse_ms("1.5s"), Ok(1500));
        assert_eq!(parse_ms("0.25s"), Ok(250));
        assert_eq!(parse_ms("0.001s"), Ok(1));
        assert_eq!(parse_ms("2.5000s"), Ok(2500));
    }

    #[test]
    fn errors() {
        for bad in [
            "", "s", "ms", "m", "h", "5 s", "-1s", "+1s", "1.s", ".5s", "1.5", "1.5ms", "x", "1e3",
            "5S", "5sec", "5min", "5hr", "5d",
        ] {
            let e = parse_ms(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid duration \"{bad}\"")),
                "{bad}: {e}"
            );
        }
        assert!(parse_ms("0.0005s")
            .unwrap_err()
            .contains("finer than a millisecond"));
        assert!(parse_ms("1.5ms").unwrap_err().contains("whole"));
    }

    #[test]
    fn limits() {
        assert_eq!(parse_ms("4294967295"), Ok(u32::MAX));
        assert!(parse_ms("4294967296").unwrap_err().contains("too long"));
        assert_eq!(parse_ms("4294967.295s"), Ok(u32::MAX));
        assert!(parse_ms("4294968s").unwrap_err().contains("too long"));
        assert!(parse_ms("99999999999999999999999s")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_ms("18446744073709551615s")
            .unwrap_err()
            .contains("too long"));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_ms(0), "0s");
        assert_eq!(format_ms(300), "300ms");
        assert_eq!(format_ms(5000), "5s");
        assert_eq!(format_ms(1500), "1500ms");
    }

    proptest! {
        #[test]
        fn formatted_durations_parse_back(ms in any::<u32>()) {
            prop_assert_eq!(parse_ms(&format_ms(u64::from(ms))), Ok(ms));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,24}") {
            let _ = parse_ms(&text);
        }
    }
}
