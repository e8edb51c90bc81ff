//! The users file: who may sign in, with argon2 password hashes (PHC strings), never passwords.
//!
//! ```toml
//! [[users]]
//! name = "ana"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$…"
//! ```
//!
//! `proofsheet hash-password` reads a password from standard input and prints its hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: Vec<UserEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    password_hash: String,
}

#[derive(Default)]
pub struct Users {
    /// Name → PHC hash string, checked when the file is read.
    hashes: HashMap<String, String>,
}

/// A hash compared when the name is unknown, so a wrong name takes as long as a wrong password
/// and response times do not reveal who has an account.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0wHQEquYpKTYGk0WkZxSNRmA4VHU3DSnq6d9p8LFG0w";

impl Users {
    pub fn load(path: &str) -> Result<Users, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the users file {path}: {e}"))?;
        Users::parse(&text).map_err(|e| format!("users file {path}: {e}"))
    }

    pub fn parse(text: &str) -> Result<Users, String> {
        let file: UsersFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut hashes = HashMap::new();
        for user in file.users {
            PasswordHash::new(&user.password_hash).map_err(|e| {
                format!(
                    "the password hash of {:?} is not a PHC string ({e})",
                    user.name
                )
            })?;
            if hashes
                .insert(user.name.clone(), user.password_hash)
                .is_some()
            {
                return Err(format!("{:?} is listed twice", user.name));
            }
        }
        Ok(Users { hashes })
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Slow on purpose (argon2): call it off the async workers.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let (hash, known) = match self.hashes.get(name) {
            Some(hash) => (hash.as_str(), true),
            None => (DECOY_HASH, false),
        };
        let matched = PasswordHash::new(hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        known && matched
    }
}

/// A PHC string for the users file, with a fresh random salt and argon2id's default costs.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("cannot encode the salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_others_do_not() {
        let hash = hash_password("correct horse").unwrap();
        let users = Users::parse(&format!(
            "[[users]]\nname = \"ana\"\npassword_hash = \"{hash}\"\n"
        ))
        .unwrap();
        assert!(users.verify("ana", "correct horse"));
        assert!(!users.verify("ana", "wrong"));
        assert!(!users.verify("bob", "correct horse"));
    }

    #[test]
    fn a_plain_password_in_the_file_is_refused_at_start() {
        let err = Users::parse("[[users]]\nname = \"ana\"\npassword_hash = \"hunter2\"\n")
            .err()
            .unwrap();
        assert!(err.contains("not a PHC string"), "{err}");
    }

    #[test]
    fn the_decoy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }
}
