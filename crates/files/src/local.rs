//! The local-directory backend.
//!
//! Layout: `<root>/<company id>/<file id>`, folders 0700 and files 0600.
//! A put writes a temporary file beside the target, syncs it, links it to the
//! target name (which fails if the name exists, so nothing is overwritten),
//! removes the temporary name and syncs the folder: a crash leaves either no
//! file or the whole file, and an acknowledged put survives a power cut.
//! Temporary names start with `.`, which no file id does, so a crash's
//! leftovers are never read as files.
//!
//! Symbolic links are never followed below the root: company folders are
//! checked with `lstat`, and files are opened with `O_NOFOLLOW`.
//! Everything here blocks; the store runs it on Tokio's blocking pool.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A store root, canonicalised when opened.
#[derive(Debug, Clone)]
pub(crate) struct LocalDir {
    root: PathBuf,
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io { op, path, source }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing folder", dir))
}

impl LocalDir {
    /// Opens (creating with mode 0700 if missing) the store root.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io("creating the store folder", dir))?;
        let root = fs::canonicalize(dir).map_err(io("resolving the store folder", dir))?;
        let meta = fs::metadata(&root).map_err(io("reading the store folder", &root))?;
        if !meta.is_dir() {
            return Err(Error::UnsafePath {
                path: root,
                reason: "the store root is not a folder",
            });
        }
        if meta.mode() & 0o002 != 0 {
            return Err(Error::UnsafePath {
                path: root,
                reason: "the store root is writable by every user (chmod 700 it)",
            });
        }
        Ok(Self { root })
    }

    /// The root folder (canonical).
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The company's folder, created when `create` (None if absent and not creating).
    fn company_dir(&self, company: &str, create: bool) -> Result<Option<PathBuf>> {
        let dir = self.root.join(company);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_dir() => Ok(Some(dir)),
            Ok(meta) if meta.file_type().is_symlink() => Err(Error::UnsafePath {
                path: dir,
                reason: "a company folder is a symbolic link",
            }),
            Ok(_) => Err(Error::UnsafePath {
                path: dir,
                reason: "a company folder is not a folder",
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                match DirBuilder::new().mode(0o700).create(&dir) {
                    Ok(()) => {
                        sync_dir(&self.root)?;
                        Ok(Some(dir))
                    }
                    // Another put created it in the meantime: check it again.
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                        self.company_dir(company, false)
                    }
                    Err(e) => Err(io("creating a company folder", &dir)(e)),
                }
            }
            Err(e) => Err(io("reading a company folder", &dir)(e)),
        }
    }

    /// Stores `sealed` under `company/id` if that name is free.
    /// `tmp_tag` makes the temporary name unique among concurrent puts.
    pub(crate) fn put(&self, company: &str, id: &str, sealed: &[u8], tmp_tag: &str) -> Result<()> {
        let dir = self
            .company_dir(company, true)?
            .ok_or_else(|| Error::UnsafePath {
                path: self.root.join(company),
                reason: "the company folder vanished while it was being created",
            })?;
        let target = dir.join(id);
        if fs::symlink_metadata(&target).is_ok() {
            return Err(Error::AlreadyExists {
                company: company.to_owned(),
                id: id.to_owned(),
            });
        }
        let tmp = dir.join(format!(".tmp-{id}-{tmp_tag}"));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
                .map_err(io("creating a temporary file", &tmp))?;
            file.write_all(sealed)
                .map_err(io("writing a temporary file", &tmp))?;
            file.sync_all()
                .map_err(io("syncing a temporary file", &tmp))
        })();
        let linked = written.and_then(|()| {
            fs::hard_link(&tmp, &target).map_err(|e| {
                if e.kind() == ErrorKind::AlreadyExists {
                    Error::AlreadyExists {
                        company: company.to_owned(),
                        id: id.to_owned(),
                    }
                } else {
                    io("linking the finished file into place", &target)(e)
                }
            })
        });
        // The temporary name goes in every case (best effort if the put failed).
        let removed = fs::remove_file(&tmp).map_err(io("removing a temporary file", &tmp));
        linked?;
        removed?;
        sync_dir(&dir)
    }

    /// Reads the stored bytes of `company/id`, at most `max` bytes.
    pub(crate) fn get(&self, company: &str, id: &str, max: u64) -> Result<Vec<u8>> {
        let not_found = || Error::NotFound {
            company: company.to_owned(),
            id: id.to_owned(),
        };
        let dir = self.company_dir(company, false)?.ok_or_else(not_found)?;
        let path = dir.join(id);
        // O_NONBLOCK: opening a planted FIFO must not hang; it is refused below.
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
            .open(&path);
        let file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(not_found()),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(Error::UnsafePath {
                    path,
                    reason: "a stored file is a symbolic link",
                });
            }
            Err(e) => return Err(io("opening a stored file", &path)(e)),
        };
        let meta = file
            .metadata()
            .map_err(io("reading a stored file", &path))?;
        if !meta.file_type().is_file() {
            return Err(Error::UnsafePath {
                path,
                reason: "a stored file is not a regular file",
            });
        }
        if meta.len() > max {
            return Err(Error::Unreadable {
                company: company.to_owned(),
                id: id.to_owned(),
            });
        }
        let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(max.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(io("reading a stored file", &path))?;
        if out.len() as u64 > max {
            return Err(Error::Unreadable {
                company: company.to_owned(),
                id: id.to_owned(),
            });
        }
        Ok(out)
    }

    /// Whether `company/id` is stored (a regular file, not a link).
    pub(crate) fn exists(&self, company: &str, id: &str) -> Result<bool> {
        let Some(dir) = self.company_dir(company, false)? else {
            return Ok(false);
        };
        let path = dir.join(id);
        match fs::symlink_metadata(&path) {
            Ok(meta) => Ok(meta.file_type().is_file()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io("reading a stored file", &path)(e)),
        }
    }

    /// Removes `company/id` (a link there is removed, never followed); absent is fine.
    pub(crate) fn delete(&self, company: &str, id: &str) -> Result<()> {
        let Some(dir) = self.company_dir(company, false)? else {
            return Ok(());
        };
        let path = dir.join(id);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&dir),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("removing a stored file", &path)(e)),
        }
    }
}
