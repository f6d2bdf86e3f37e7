//! The file store's suite, run against the local directory backend and, when
//! `FAKTURA_TEST_S3_ENDPOINT` is set (required when `FAKTURA_REQUIRE_S3=1`),
//! against a real S3 peer that checks signatures: `eval "$(bash .ci/start-s3.sh)"`.

mod harness;
mod local_only;
mod s3_only;
mod suite;

/// Each named suite test, once per backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::suite::$name(crate::harness::local()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(fixture) = crate::harness::s3(stringify!($name)) {
                        crate::suite::$name(fixture).await;
                    }
                }
            )*
        }
    };
}

on_every_backend!(
    round_trip,
    never_overwrites,
    tampered_objects_do_not_open,
    moved_objects_do_not_open,
    no_plaintext_in_storage,
    unsafe_company_ids_are_refused,
    size_cap,
);
