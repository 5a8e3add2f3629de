//! Transports: stdio and Streamable HTTP.

pub(crate) mod http;
pub(crate) mod sse;
pub(crate) mod stdio;
