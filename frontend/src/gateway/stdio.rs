//! A tonic `Channel` over the stdin/stdout pipes BuildKit gives the frontend: raw cleartext
//! HTTP/2 with prior knowledge (buildkit-gateway.md §1.4, §1.5). `tokio::io::stdin()` is not used:
//! its blocking read can hang process exit (§9 item 6).

use std::io;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;

struct Stdio {
    rx: pipe::Receiver,
    tx: pipe::Sender,
}

impl AsyncRead for Stdio {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, b: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.rx).poll_read(cx, b)
    }
}

impl AsyncWrite for Stdio {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tx).poll_write(cx, b)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tx).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tx).poll_shutdown(cx)
    }
}

/// Connects to BuildKit over stdio. The connector hands stdio out once: tonic calls it again to
/// reconnect, and a second HTTP/2 preface on the same pipes would corrupt the stream.
pub async fn connect() -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let once = Arc::new(Mutex::new(Some(())));
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let once = once.clone();
            async move {
                once.lock()
                    .map_err(|_| io::Error::other("stdio lock poisoned"))?
                    .take()
                    .ok_or_else(|| io::Error::other("stdio transport already used"))?;
                let rx = pipe::Receiver::from_owned_fd(io::stdin().as_fd().try_clone_to_owned()?)?;
                let tx = pipe::Sender::from_owned_fd(io::stdout().as_fd().try_clone_to_owned()?)?;
                Ok::<_, io::Error>(hyper_util::rt::TokioIo::new(Stdio { rx, tx }))
            }
        }))
        .await
}
