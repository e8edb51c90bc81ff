//! Wall-clock time and the date formats the providers use, without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

pub(crate) fn now_secs() -> u64 {
    now_millis() / 1000
}

/// `2025-01-08T13:24:38.692Z` (Replicate).
pub(crate) fn iso_millis_z(millis: u64) -> String {
    let c = Civil::from_secs(millis / 1000);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        millis % 1000
    )
}

/// `2025-10-08T11:15:05Z` (signed-URL timestamps).
pub(crate) fn iso_z(secs: u64) -> String {
    let c = Civil::from_secs(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2000-01-23T04:56:07+00:00` (Ideogram's `created`).
pub(crate) fn iso_offset(secs: u64) -> String {
    let c = Civil::from_secs(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `20250101120000` (AUTOMATIC1111's `job_timestamp`).
pub(crate) fn compact(secs: u64) -> String {
    let c = Civil::from_secs(secs);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// A UTC calendar time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
}

impl Civil {
    /// Howard Hinnant's `civil_from_days`, valid for every date after 1970.
    fn from_secs(secs: u64) -> Civil {
        let days = (secs / 86_400) as i64;
        let time = secs % 86_400;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: time / 3600,
            minute: time % 3600 / 60,
            second: time % 60,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replicate_timestamps() {
        assert_eq!(
            super::iso_millis_z(1_736_342_678_692),
            "2025-01-08T13:24:38.692Z"
        );
    }

    #[test]
    fn signed_url_timestamps() {
        assert_eq!(super::iso_z(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso_z(1_709_164_800), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn ideogram_created() {
        assert_eq!(super::iso_offset(948_603_367), "2000-01-23T04:56:07+00:00");
    }

    #[test]
    fn a1111_job_timestamp() {
        assert_eq!(super::compact(1_709_164_800), "20240229000000");
    }
}
