//! Slow clients over a real socket: a request head or body sent too slowly, or a connection
//! left idle, is cut off, so a few clients cannot hold the server's connections open
//! (Slowloris); honest requests and graceful shutdown still work.

use std::time::{Duration, Instant};

use crate::support::TestServer;
use server::Config;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Short limits, so the tests wait for them; the defaults are seconds.
const LIMIT: Duration = Duration::from_millis(400);
/// Longer than any of the tests' limits take to act, however busy the machine.
const PATIENCE: Duration = Duration::from_secs(20);

struct Served {
    server: TestServer,
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve() -> Served {
    let server = TestServer::with_config(Config {
        header_read_timeout: LIMIT,
        body_read_timeout: LIMIT,
        ..Config::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(server::serve(listener, server.state.clone(), async move {
        let _ = stopped.await;
    }));
    Served {
        server,
        addr,
        stop: Some(stop),
        done,
    }
}

/// Reads until the server closes the connection; what it sent, and how long that took.
async fn until_closed(stream: &mut (impl AsyncRead + Unpin)) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open after {PATIENCE:?}"
    );
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

/// Writes `bytes` a byte every 50 ms, each well within the limit, until the server stops
/// taking them; whether all were written.
async fn dribble(mut stream: OwnedWriteHalf, bytes: Vec<u8>) -> bool {
    for b in bytes {
        if stream.write_all(&[b]).await.is_err() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

#[tokio::test]
async fn a_request_head_sent_slowly_or_not_at_all_is_cut_off() {
    let served = serve().await;

    // Connected, and nothing sent.
    let mut idle = TcpStream::connect(served.addr).await.expect("connect");
    let (_, took) = until_closed(&mut idle).await;
    assert!(took >= LIMIT / 2, "closed after {took:?}, before the limit");

    // Half a head, then nothing.
    let mut stalled = TcpStream::connect(served.addr).await.expect("connect");
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: quilt\r\n")
        .await
        .expect("write");
    until_closed(&mut stalled).await;

    // A head dribbled in: each byte in time, the whole head never.
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: quilt\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(200)
    );
    let (mut reader, writer) = TcpStream::connect(served.addr)
        .await
        .expect("connect")
        .into_split();
    let dribbling = tokio::spawn(dribble(writer, head.into_bytes()));
    let (sent, _) = until_closed(&mut reader).await;
    assert!(!sent.contains("200 OK"), "{sent}");
    assert_eq!(
        dribbling.await.ok(),
        Some(false),
        "the whole head was taken"
    );
    stop(served).await;
}

#[tokio::test]
async fn a_request_body_sent_slowly_is_cut_off() {
    let served = serve().await;
    let token = served.server.login("sam.social").await;
    let head = |length: usize| {
        format!(
            "POST /api/sync HTTP/1.1\r\nHost: quilt\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        )
    };

    // The head, the start of the body, then nothing: the 1,000 bytes promised never come.
    let mut stalled = TcpStream::connect(served.addr).await.expect("connect");
    stalled
        .write_all(format!("{}{{\"children\":", head(1000)).as_bytes())
        .await
        .expect("write");
    let (sent, _) = until_closed(&mut stalled).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(sent.contains("too_slow"), "{sent}");

    // A body dribbled a byte every 50 ms: each well within the limit, the whole never.
    let body = format!("{{\"children\":[]{}}}", " ".repeat(200));
    let mut slow = TcpStream::connect(served.addr).await.expect("connect");
    slow.write_all(head(body.len()).as_bytes())
        .await
        .expect("write");
    let (mut reader, writer) = slow.into_split();
    let dribbling = tokio::spawn(dribble(writer, body.into_bytes()));
    let (sent, _) = until_closed(&mut reader).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert_eq!(
        dribbling.await.ok(),
        Some(false),
        "the whole body was taken"
    );

    // The same request sent at once is answered, and the connection kept for the next.
    let mut honest = TcpStream::connect(served.addr).await.expect("connect");
    let body = "{\"children\":[]}";
    let request = format!("{}{body}", head(body.len()));
    for _ in 0..2 {
        honest.write_all(request.as_bytes()).await.expect("write");
        let answer = read_response(&mut honest).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    stop(served).await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_then_stops() {
    let mut served = serve().await;
    let token = served.server.login("sam.social").await;
    let body = "{\"children\":[]}";
    let request = format!(
        "POST /api/sync HTTP/1.1\r\nHost: quilt\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // The head is in, the body not yet, when shutdown begins.
    let mut in_flight = TcpStream::connect(served.addr).await.expect("connect");
    in_flight
        .write_all(request.as_bytes())
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Some(stop) = served.stop.take() {
        let _ = stop.send(());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    in_flight.write_all(body.as_bytes()).await.expect("write");
    let answer = read_response(&mut in_flight).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let done = tokio::time::timeout(PATIENCE, served.done)
        .await
        .expect("serve returned");
    assert!(matches!(done, Ok(Ok(()))), "{done:?}");
    assert!(
        TcpStream::connect(served.addr).await.is_err(),
        "no longer listening"
    );
}

/// Reads one response with a `Content-Length` body.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed mid-response: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    return;
                }
            }
        }
    })
    .await
    .expect("a response in time");
    String::from_utf8_lossy(&got).into_owned()
}

async fn stop(mut served: Served) {
    if let Some(stop) = served.stop.take() {
        let _ = stop.send(());
    }
    let done = tokio::time::timeout(PATIENCE, served.done).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "serve stopped: {done:?}");
}
