//! Where the built site's files are: whether cargo-leptos hashed their names, and the stylesheet's.

use leptos::config::LeptosOptions;
use std::path::PathBuf;
use std::sync::OnceLock;

/// cargo-leptos writes `hash.txt` beside the server binary when it hashes file names
/// (`hash-files = true`), and Leptos's `HydrationScripts` reads the script names from it there.
fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(&*options.hash_file))
}

/// True when this build's file names carry content hashes.
pub fn files_are_hashed(options: &LeptosOptions) -> bool {
    hash_file(options).is_some_and(|path| path.is_file())
}

/// `/pkg/proofsheet.<hash>.css`, or `/pkg/proofsheet.css` in a build without hashes. Read once.
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| hash_file(options))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|text| {
                text.lines()
                    .filter_map(|line| line.split_once(':'))
                    .find(|(file, _)| file.trim() == "css")
                    .map(|(_, hash)| format!(".{}", hash.trim()))
            })
            .unwrap_or_default();
        format!(
            "/{}/{}{hash}.css",
            options.site_pkg_dir, options.output_name
        )
    })
}
