//! Prints the native report of each file as JSON: `cargo run -p faktura-validate --example check -- [--rules R] [--no-schema] FILE...`.

use faktura_validate::{Family, Options, Rules, validate};

fn main() {
    let mut opts = Options::default();
    let mut repeat = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-schema" => opts.schema = false,
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--rules" => {
                let r = args.next().unwrap_or_default();
                opts.rules = Family::ALL
                    .iter()
                    .find(|f| f.name() == r)
                    .map_or(Rules::Auto, |f| Rules::Family(*f));
            }
            file => {
                let bytes = std::fs::read(file).unwrap_or_default();
                let t = std::time::Instant::now();
                for _ in 1..repeat {
                    let _ = validate(&bytes, &opts);
                }
                if repeat > 1 {
                    eprintln!(
                        "{file}: {:.1} us per validation",
                        t.elapsed().as_secs_f64() * 1e6 / (repeat - 1) as f64
                    );
                }
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
