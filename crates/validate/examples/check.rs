//! Prints the native report of each file as JSON: `cargo run -p faktura-validate --example check -- [--rules R] [--no-schema] FILE...`.

use faktura_validate::{Family, Options, Rules, validate};

fn main() {
    let mut opts = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-schema" => opts.schema = false,
            "--rules" => {
                let r = args.next().unwrap_or_default();
                opts.rules = Family::ALL
                    .iter()
                    .find(|f| f.name() == r)
                    .map_or(Rules::Auto, |f| Rules::Family(*f));
            }
            file => {
                let bytes = std::fs::read(file).unwrap_or_default();
                match validate(&bytes, &opts) {
                    Ok(r) => println!(
                        "{file}\n{}",
                        serde_json::to_string_pretty(&r).unwrap_or_default()
                    ),
                    Err(e) => println!("{file}: {e}"),
                }
            }
        }
    }
}
