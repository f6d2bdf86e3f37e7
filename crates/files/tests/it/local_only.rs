//! What only the local directory backend has: file modes, temporary files,
//! symbolic links planted in the store.

use std::os::unix::fs::{PermissionsExt, symlink};

use faktura_crypto::{OsRng, Purpose};
use faktura_files::{Error, FileStore};

use crate::harness::{keys_for, new_id, unique_company};

#[expect(clippy::unwrap_used, reason = "test helper")]
fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn private_modes_and_no_temporary_files_left() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("a/b/files");
    let store = FileStore::local(&root).unwrap();
    assert_eq!(mode(&root), 0o700);
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = new_id();
        store
            .put(&keys, &id, format!("file {i}").as_bytes(), &OsRng)
            .await
            .unwrap();
        ids.push(id);
    }
    let dir = root.join(company.as_str());
    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
    expected.sort();
    assert_eq!(
        names, expected,
        "only the finished files, no temporary names"
    );
    for id in &ids {
        assert_eq!(mode(&dir.join(id.as_str())), 0o600);
    }
    // A failed put (existing id) leaves no temporary file either.
    assert!(store.put(&keys, &ids[0], b"again", &OsRng).await.is_err());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 5);
    // A crash's leftover temporary file is never taken for a file.
    std::fs::write(
        dir.join(format!(".tmp-{}-0011223344556677", ids[1])),
        b"junk",
    )
    .unwrap();
    assert_eq!(
        store.get(&keys, &ids[1]).await.unwrap().expose_secret(),
        b"file 1"
    );
}

/// Create-if-absent is atomic here (link(2) fails on an existing name). On S3
/// it is the service's conditional PUT (`If-None-Match: *`): atomic on AWS S3
/// and MinIO, but s3s-fs 0.14.1 checks and writes in two steps, so two racing
/// puts both succeed there; this test therefore runs on the local backend only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_puts_of_one_id_have_exactly_one_winner() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::local(tmp.path().join("files")).unwrap();
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    for _ in 0..20 {
        let id = new_id();
        let (a, b) = tokio::join!(
            store.put(&keys, &id, b"from a", &OsRng),
            store.put(&keys, &id, b"from b", &OsRng)
        );
        let expected: &[u8] = match (&a, &b) {
            (Ok(_), Err(Error::AlreadyExists { .. })) => b"from a",
            (Err(Error::AlreadyExists { .. }), Ok(_)) => b"from b",
            other => panic!("expected exactly one winner, got {other:?}"),
        };
        assert_eq!(
            store.get(&keys, &id).await.unwrap().expose_secret(),
            expected
        );
    }
}

#[tokio::test]
async fn unusable_roots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = FileStore::local(&open).unwrap_err();
    assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
    assert!(err.to_string().contains("chmod 700"), "{err}");
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = FileStore::local(&file).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[tokio::test]
async fn symbolic_links_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("files");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let store = FileStore::local(&root).unwrap();
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);

    // A real sealed file, copied outside the root, with a link to it inside.
    let id = new_id();
    store
        .put(&keys, &id, b"secret invoice", &OsRng)
        .await
        .unwrap();
    let dir = root.join(company.as_str());
    let outside_file = outside.join("copy");
    std::fs::copy(dir.join(id.as_str()), &outside_file).unwrap();
    let linked = new_id();
    symlink(&outside_file, dir.join(linked.as_str())).unwrap();
    let err = store.get(&keys, &linked).await.unwrap_err();
    assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
    assert!(!store.exists(&company, &linked).await.unwrap());
    let before = std::fs::read(&outside_file).unwrap();
    let err = store
        .put(&keys, &linked, b"overwrite?", &OsRng)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(std::fs::read(&outside_file).unwrap(), before);
    // Delete removes the link, never its target.
    store.delete(&company, &linked).await.unwrap();
    assert!(dir.join(linked.as_str()).symlink_metadata().is_err());
    assert_eq!(std::fs::read(&outside_file).unwrap(), before);

    // A company folder that is a link to a folder outside the root.
    let other = unique_company();
    let other_keys = keys_for(&other, Purpose::Files);
    symlink(&outside, root.join(other.as_str())).unwrap();
    let id = new_id();
    let err = store.put(&other_keys, &id, b"x", &OsRng).await.unwrap_err();
    assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(matches!(
        store.get(&other_keys, &id).await,
        Err(Error::UnsafePath { .. })
    ));
    assert!(matches!(
        store.exists(&other, &id).await,
        Err(Error::UnsafePath { .. })
    ));
    let names: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing was written outside the root");
}

#[tokio::test]
async fn a_planted_fifo_is_refused_without_hanging() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("files");
    let store = FileStore::local(&root).unwrap();
    let company = unique_company();
    let keys = keys_for(&company, Purpose::Files);
    let id = new_id();
    store.put(&keys, &id, b"x", &OsRng).await.unwrap();
    let fifo = new_id();
    let status = std::process::Command::new("mkfifo")
        .arg(root.join(company.as_str()).join(fifo.as_str()))
        .status()
        .unwrap();
    assert!(status.success());
    let err = store.get(&keys, &fifo).await.unwrap_err();
    assert!(matches!(err, Error::UnsafePath { .. }), "{err}");
    assert!(!store.exists(&company, &fifo).await.unwrap());
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileStore::local(tmp.path().join("files")).unwrap();
    let company = unique_company();
    let id = new_id();
    // Poll the future on a bare executor: no Tokio runtime is current.
    let result = futures_lite_block_on(store.exists(&company, &id));
    assert!(matches!(result, Err(Error::NoRuntime)), "{result:?}");
}

/// A minimal executor for one future (no Tokio).
fn futures_lite_block_on<F: Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let waker = Waker::from(std::sync::Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
