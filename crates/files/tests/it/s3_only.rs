//! What only the S3 backend has: signatures the peer checks.

use faktura_crypto::{OsRng, Purpose};
use faktura_files::{Error, FileStore};

use crate::harness::{keys_for, new_id, s3, s3_env, unique_company};

#[tokio::test]
async fn a_wrong_secret_key_is_refused() {
    let Some(env) = s3_env("a_wrong_secret_key_is_refused") else {
        return;
    };
    let good = s3("a_wrong_secret_key_is_refused").unwrap();
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let stored = new_id();
    good.store
        .put(&keys, &stored, b"stored with the right key", &OsRng)
        .await
        .unwrap();

    let wrong = FileStore::s3(env.config(&format!("{}x", env.secret))).unwrap();
    let id = new_id();
    let err = wrong.put(&keys, &id, b"x", &OsRng).await.unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err}");
    assert!(
        !err.to_string().contains(&env.secret),
        "the error must not carry the secret"
    );
    assert!(
        !good.store.exists(&company, &id).await.unwrap(),
        "nothing was stored"
    );
    // Reads, checks and deletes are refused too, not answered as "absent".
    assert!(matches!(
        wrong.get(&keys, &stored).await,
        Err(Error::Storage { .. })
    ));
    assert!(matches!(
        wrong.exists(&company, &stored).await,
        Err(Error::Storage { .. })
    ));
    assert!(matches!(
        wrong.delete(&company, &stored).await,
        Err(Error::Storage { .. })
    ));
    assert!(
        good.store.exists(&company, &stored).await.unwrap(),
        "the delete did not happen"
    );
    eprintln!("wrong secret refused: {err}");
}
