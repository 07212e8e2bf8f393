//! A TCP relay between the server and a real peer (the test directory): it
//! counts the connections it carries, and can cut them all at once, as a
//! directory's idle timeout, a restart or a firewall would. TLS passes
//! through untouched, so the peer's certificate is still checked end to end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running relay; it stops when dropped.
pub struct Relay {
    /// Where to connect instead of the peer.
    pub addr: SocketAddr,
    carried: Arc<AtomicUsize>,
    cuts: watch::Sender<u64>,
    task: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
        self.cut_all();
    }
}

impl Relay {
    /// Relays loopback connections to `peer`.
    pub async fn start(peer: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let carried = Arc::new(AtomicUsize::new(0));
        let (cuts, _) = watch::channel(0u64);
        let task = tokio::spawn({
            let carried = carried.clone();
            let cuts = cuts.clone();
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    carried.fetch_add(1, Ordering::SeqCst);
                    let mut cut = cuts.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(peer).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            }
        });
        Relay {
            addr,
            carried,
            cuts,
            task,
        }
    }

    /// How many connections the relay has accepted.
    pub fn connections(&self) -> usize {
        self.carried.load(Ordering::SeqCst)
    }

    /// Closes every connection carried so far (both ends).
    pub fn cut_all(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}
