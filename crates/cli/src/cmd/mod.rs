//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub(crate) mod audit;
pub(crate) mod convert;
pub(crate) mod extract;
pub(crate) mod healthcheck;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod render;
pub(crate) mod serve;
pub(crate) mod unseal;
pub(crate) mod validate;
