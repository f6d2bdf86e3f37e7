//! Constant-time measurement (SECURITY-TESTS M09), in the manner of dudect
//! (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant time?", 2017).
//!
//! For each function, every sample is randomly of class "fixed" (one input
//! chosen once) or "random" (a fresh input), the two interleaved so that
//! machine noise falls on both alike. Welch's t-test compares the timing
//! distributions: on all samples, and on the samples below each of 100
//! percentile thresholds (cropping the long upper tail that interrupts cause).
//! The verdict is on the largest |t|: PASS below 4.5, FAIL otherwise.
//!
//! A control, the standard library's early-exit slice `==`, is measured the
//! same way; it must be flagged, or the harness could not see a leak at all.
//!
//! Run: `cargo bench -p faktura-crypto --bench constant_time`
//! (`FAKTURA_CT_SAMPLES=100000` for a quicker run; default 1,000,000 per
//! function). Exits 1 if a function fails or the control is not flagged.
//! Nothing here runs under `cargo test`: timings are reported, not asserted
//! in unit tests.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing,
    reason = "a benchmark binary reports and may fail loudly"
)]

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use faktura_crypto::{API_KEY_PREFIX, ApiKey, OsRng, SecureRng, ct_eq, fuzzing};

/// |t| at or above this means the two classes' timings differ.
const THRESHOLD: f64 = 4.5;
const PERCENTILES: usize = 100;
/// Samples prepared (and their inputs held in memory) at a time.
const CHUNK: usize = 10_000;

/// Welford's running mean and variance for the two classes.
#[derive(Debug, Default, Clone, Copy)]
struct Welch {
    n: [f64; 2],
    mean: [f64; 2],
    m2: [f64; 2],
}

impl Welch {
    fn push(&mut self, class: usize, x: f64) {
        self.n[class] += 1.0;
        let delta = x - self.mean[class];
        self.mean[class] += delta / self.n[class];
        self.m2[class] += delta * (x - self.mean[class]);
    }

    fn t(&self) -> f64 {
        if self.n[0] < 2.0 || self.n[1] < 2.0 {
            return 0.0;
        }
        let var0 = self.m2[0] / (self.n[0] - 1.0);
        let var1 = self.m2[1] / (self.n[1] - 1.0);
        let se = (var0 / self.n[0] + var1 / self.n[1]).sqrt();
        if se == 0.0 {
            return 0.0;
        }
        (self.mean[0] - self.mean[1]) / se
    }

    fn samples(&self) -> f64 {
        self.n[0] + self.n[1]
    }
}

/// SplitMix64: fast, non-cryptographic; picks classes and random inputs.
struct Mix(u64);

impl Mix {
    fn seeded() -> Self {
        let mut seed = [0u8; 8];
        OsRng.fill(&mut seed).unwrap();
        Self(u64::from_le_bytes(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// The outcome for one function.
struct Outcome {
    name: &'static str,
    samples: usize,
    max_t: f64,
    raw_t: f64,
    mean_ns: [f64; 2],
}

/// Measures `op` over `samples` samples. `input(class, rng)` builds one
/// sample's input outside the timed region; `op` runs `batch` times per sample.
fn measure<I>(
    name: &'static str,
    samples: usize,
    batch: usize,
    mut input: impl FnMut(usize, &mut Mix) -> I,
    mut op: impl FnMut(&I),
) -> Outcome {
    let mut rng = Mix::seeded();
    let mut raw = Welch::default();
    let mut cropped = [Welch::default(); PERCENTILES];
    let mut thresholds: Option<Vec<f64>> = None;
    let mut done = 0usize;
    let mut inputs: Vec<(usize, I)> = Vec::with_capacity(CHUNK);
    let mut times: Vec<f64> = Vec::with_capacity(CHUNK);
    // Warm up caches and branch predictors, unrecorded.
    for class in [0, 1, 0, 1] {
        let i = input(class, &mut rng);
        for _ in 0..batch {
            op(black_box(&i));
        }
    }
    while done < samples {
        let n = CHUNK.min(samples - done);
        inputs.clear();
        times.clear();
        for _ in 0..n {
            let class = usize::from(rng.next() & 1 == 1);
            inputs.push((class, input(class, &mut rng)));
        }
        for (_, i) in &inputs {
            let start = Instant::now();
            for _ in 0..batch {
                op(black_box(i));
            }
            times.push(start.elapsed().as_nanos() as f64);
        }
        // Thresholds from the first chunk: percentile 1 - 0.5^(10 k / 100),
        // as dudect crops, denser near the bulk of the distribution.
        let limits = thresholds.get_or_insert_with(|| {
            let mut sorted = times.clone();
            sorted.sort_by(f64::total_cmp);
            (0..PERCENTILES)
                .map(|k| {
                    let p = 1.0 - 0.5f64.powf(10.0 * (k as f64 + 1.0) / PERCENTILES as f64);
                    let at = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
                    sorted[at]
                })
                .collect()
        });
        for ((class, _), &t) in inputs.iter().zip(&times) {
            raw.push(*class, t);
            for (w, &limit) in cropped.iter_mut().zip(limits.iter()) {
                if t < limit {
                    w.push(*class, t);
                }
            }
        }
        done += n;
    }
    // As dudect: only tests with enough samples count towards the maximum.
    if std::env::var_os("FAKTURA_CT_DEBUG").is_some() {
        for (k, w) in cropped.iter().enumerate().step_by(10) {
            println!(
                "  {name} crop {k}: n = {:.0}, t = {:.2}",
                w.samples(),
                w.t()
            );
        }
    }
    let max_t = std::iter::once(&raw)
        .chain(
            cropped
                .iter()
                .filter(|w| w.samples() >= samples as f64 / 100.0),
        )
        .map(|w| w.t().abs())
        .fold(0.0, f64::max);
    Outcome {
        name,
        samples,
        max_t,
        raw_t: raw.t(),
        mean_ns: [raw.mean[0] / batch as f64, raw.mean[1] / batch as f64],
    }
}

fn api_key_from(bytes: &[u8; 32]) -> ApiKey {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let text = format!(
        "{API_KEY_PREFIX}{}",
        Base64UrlUnpadded::encode_string(bytes)
    );
    ApiKey::parse(&text).unwrap()
}

fn main() -> ExitCode {
    let samples: usize = std::env::var("FAKTURA_CT_SAMPLES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|&n: &usize| n >= 1000)
        .unwrap_or(1_000_000);
    println!(
        "Constant-time measurement: dudect-style Welch t-test, fixed vs random inputs, {samples} samples per function;"
    );
    println!(
        "verdict on max |t| over all samples and {PERCENTILES} cropped subsets: PASS if < {THRESHOLD}."
    );
    let mut results = Vec::new();

    // 1. Shamir combine: 3 shares of a 3-of-5 split (32-byte root key). The
    // x-coordinates are public and the same in both classes; the y-values are
    // fixed in one class and fresh random in the other.
    let xs = [17u8, 90, 203];
    let mut fixed_rng = Mix::seeded();
    let fixed_shares: Vec<(u8, [u8; 32])> = xs
        .iter()
        .map(|&x| {
            let mut y = [0u8; 32];
            fixed_rng.fill(&mut y);
            (x, y)
        })
        .collect();
    results.push(measure(
        "Shamir combine (3 shares, 32 B)",
        samples,
        1,
        |class, rng| {
            // Inputs of both classes are built the same way (same allocations),
            // so that only their contents differ.
            let mut shares = fixed_shares.clone();
            if class == 1 {
                for (_, y) in &mut shares {
                    rng.fill(y);
                }
            }
            shares
        },
        |shares| {
            black_box(fuzzing::shamir_combine_32(shares));
        },
    ));

    // 2. ApiKey::verify against one stored hash: the right key (fixed) vs
    // random wrong keys, which differ from the stored hash at a random byte.
    let mut secret = [0u8; 32];
    OsRng.fill(&mut secret).unwrap();
    let stored = api_key_from(&secret).hash();
    results.push(measure(
        "ApiKey::verify",
        samples,
        1,
        |class, rng| {
            let mut presented = secret;
            if class == 1 {
                rng.fill(&mut presented);
            }
            api_key_from(&presented)
        },
        |key| {
            black_box(key.verify(black_box(&stored)));
        },
    ));

    // 3. ct_eq on a 32-byte token (CSRF) and on 1 KiB: equal (fixed) vs random.
    for (name, len, batch) in [
        ("ct_eq (32 B token)", 32usize, 16usize),
        ("ct_eq (1 KiB)", 1024, 1),
    ] {
        let mut expected = vec![0u8; len];
        OsRng.fill(&mut expected).unwrap();
        let expected_ref = &expected;
        results.push(measure(
            name,
            samples,
            batch,
            |class, rng| {
                // The same allocation either way; only the contents differ.
                let mut v = expected_ref.clone();
                if class == 1 {
                    rng.fill(&mut v);
                }
                v
            },
            |presented| {
                black_box(ct_eq(black_box(presented), black_box(expected_ref)));
            },
        ));
    }

    // Control: the early-exit comparison must be caught.
    let mut expected = vec![0u8; 1024];
    OsRng.fill(&mut expected).unwrap();
    let expected_ref = &expected;
    let control = measure(
        "control: std slice == (1 KiB)",
        samples,
        1,
        |class, rng| {
            let mut v = expected_ref.clone();
            if class == 1 {
                rng.fill(&mut v);
            }
            v
        },
        |presented| {
            black_box(black_box(presented.as_slice()) == black_box(expected_ref.as_slice()));
        },
    );

    println!();
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>11} {:>11}  verdict",
        "function", "samples", "max |t|", "raw t", "fixed ns", "random ns"
    );
    let mut failed = false;
    for r in &results {
        let pass = r.max_t < THRESHOLD;
        failed |= !pass;
        println!(
            "{:<34} {:>9} {:>9.2} {:>9.2} {:>11.1} {:>11.1}  {}",
            r.name,
            r.samples,
            r.max_t,
            r.raw_t,
            r.mean_ns[0],
            r.mean_ns[1],
            if pass { "PASS" } else { "FAIL" }
        );
    }
    let caught = control.max_t >= THRESHOLD;
    println!(
        "{:<34} {:>9} {:>9.2} {:>9.2} {:>11.1} {:>11.1}  {}",
        control.name,
        control.samples,
        control.max_t,
        control.raw_t,
        control.mean_ns[0],
        control.mean_ns[1],
        if caught {
            "LEAK DETECTED (expected: the harness sees a leak)"
        } else {
            "NOT DETECTED: the harness is too noisy to judge"
        }
    );
    for r in &results {
        println!(
            "{}: {} (|t| = {:.2}, threshold {THRESHOLD})",
            r.name,
            if r.max_t < THRESHOLD { "PASS" } else { "FAIL" },
            r.max_t
        );
    }
    if failed || !caught {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
