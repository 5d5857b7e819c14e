//! Durations (`500ms`, `5s`, `3m`, `1h30m`) and sizes (`512KiB`, `10MiB`) as written in suites
//! and on the command line.

use std::time::Duration;

/// Parses `250ms`, `5s`, `1.5s`, `3m`, `2h`, `1m30s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration: write e.g. `5s`, `500ms` or `3m`".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return from_secs(secs, s);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| bad(s))?;
        if num_end == 0 {
            return Err(bad(s));
        }
        let n: f64 = rest[..num_end].parse().map_err(|_| bad(s))?;
        let after = &rest[num_end..];
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let factor = match after[..unit_end].trim() {
            "ms" => 0.001,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad(s)),
        };
        total += n * factor;
        rest = &after[unit_end..];
    }
    from_secs(total, s)
}

fn from_secs(secs: f64, original: &str) -> Result<Duration, String> {
    if !secs.is_finite() || !(0.0..=365.0 * 86400.0).contains(&secs) {
        return Err(format!("`{original}` is not a duration between 0 and 365 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn bad(s: &str) -> String {
    format!("`{s}` is not a duration: write e.g. `500ms`, `5s`, `3m` or `1h30m`")
}

/// Parses `1024`, `64KiB`, `10MiB`, `1GiB` (also `KB`, `MB`, `GB` as powers of 1000).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: usize = t[..split].parse().map_err(|_| bad_size(s))?;
    let factor: usize = match t[split..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad_size(s)),
    };
    n.checked_mul(factor).ok_or_else(|| bad_size(s))
}

fn bad_size(s: &str) -> String {
    format!("`{s}` is not a size: write e.g. `65536`, `512KiB` or `10MiB`")
}

/// Formats a duration for people: `850ms`, `1.24s`, `2m05s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        // Twice a check in the terminal: no formatting machinery for the common case.
        let mut s = (ms as u32).to_string();
        s.push_str("ms");
        s
    } else if ms < 60_000 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("3m"), Ok(Duration::from_secs(180)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("99999999999d").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("2048"), Ok(2048));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn human_readable() {
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::from_millis(1240)), "1.24s");
        assert_eq!(human(Duration::from_secs(125)), "2m05s");
    }
}
