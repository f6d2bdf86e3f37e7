//! systemd readiness and watchdog over a real datagram socket: READY=1
//! after the listener is up, WATCHDOG=1 while the server answers its own
//! health check, and no more pings once it stops answering.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use faktura_server::Systemd;
use faktura_testkit::TestServer;

fn recv(socket: &UnixDatagram) -> Option<String> {
    let mut buf = [0_u8; 256];
    socket
        .recv(&mut buf)
        .ok()
        .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_then_watchdog_pings_only_while_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    let interval = Duration::from_millis(400);
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    let server = TestServer::builder()
        .dev()
        .systemd(Systemd::new(&path, Some(interval)))
        .start()
        .await
        .unwrap();
    let (socket, pings) = tokio::task::spawn_blocking(move || {
        assert_eq!(recv(&socket).as_deref(), Some("READY=1"));
        let pings: Vec<_> = (0..3).map(|_| recv(&socket)).collect();
        (socket, pings)
    })
    .await
    .unwrap();
    assert!(
        pings.iter().all(|p| p.as_deref() == Some("WATCHDOG=1")),
        "{pings:?}"
    );

    // The listener stops answering: the probe fails, so the pings stop.
    server.running.stop_accepting();
    let quiet = tokio::task::spawn_blocking(move || {
        // Drain a ping already in flight, then expect silence for 3 intervals.
        socket.set_read_timeout(Some(interval)).unwrap();
        let _ = recv(&socket);
        socket.set_read_timeout(Some(interval * 3)).unwrap();
        recv(&socket)
    })
    .await
    .unwrap();
    assert_eq!(
        quiet, None,
        "watchdog kept pinging after the server stopped answering"
    );
    drop(server);
}
