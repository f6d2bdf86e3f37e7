//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!`
//! embeds the files at compile time, and cargo does not watch the folders
//! on its own, so a new migration would otherwise be silently left out.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
