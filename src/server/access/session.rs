//! Signed sign-in tokens: `<name>.<expiry>.<signature>`, with the name in URL-safe base64, the
//! expiry in Unix seconds and an HMAC-SHA256 of both under the server's session secret. The same
//! token is the session cookie's value and what `POST /login` gives a script for
//! `Authorization: Bearer`. Nothing is stored on the server, so any instance holding the same
//! secret accepts it; a token ends at its expiry, or for all when the secret changes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

pub struct SessionKeys {
    secret: Vec<u8>,
    lifetime: Duration,
}

impl SessionKeys {
    pub fn new(secret: Vec<u8>, lifetime: Duration) -> Self {
        SessionKeys { secret, lifetime }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub fn issue(&self, name: &str, now: SystemTime) -> String {
        let expires = seconds(now) + self.lifetime.as_secs();
        let payload = format!("{}.{expires}", URL_SAFE_NO_PAD.encode(name));
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The signed-in name, when the token is ours, intact and not expired.
    pub fn verify(&self, token: &str, now: SystemTime) -> Option<String> {
        let (payload, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        // Constant-time comparison, so the signature cannot be guessed byte by byte.
        self.mac(payload).verify_slice(&signature).ok()?;
        let (name, expires) = payload.split_once('.')?;
        let expires: u64 = expires.parse().ok()?;
        if seconds(now) >= expires {
            return None;
        }
        String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC accepts keys of any length");
        mac.update(payload.as_bytes());
        mac
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        SessionKeys::new(b"test secret".to_vec(), Duration::from_secs(3600))
    }

    #[test]
    fn an_issued_token_names_its_holder_until_it_expires() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = keys().issue("ana.lopez", now);
        assert_eq!(keys().verify(&token, now).as_deref(), Some("ana.lopez"));
        assert_eq!(
            keys()
                .verify(&token, now + Duration::from_secs(3599))
                .as_deref(),
            Some("ana.lopez")
        );
        assert_eq!(keys().verify(&token, now + Duration::from_secs(3600)), None);
    }

    #[test]
    fn a_changed_name_expiry_or_secret_is_refused() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = keys().issue("ana", now);
        let (_, rest) = token.split_once('.').unwrap();
        let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode("admin"));
        assert_eq!(keys().verify(&forged, now), None);
        let (payload, signature) = token.rsplit_once('.').unwrap();
        let (name, _) = payload.split_once('.').unwrap();
        let extended = format!("{name}.99999999999.{signature}");
        assert_eq!(keys().verify(&extended, now), None);
        let other = SessionKeys::new(b"other".to_vec(), Duration::from_secs(3600));
        assert_eq!(other.verify(&token, now), None);
        assert_eq!(keys().verify("garbage", now), None);
    }
}
