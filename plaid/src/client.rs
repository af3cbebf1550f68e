//! A plain HTTP/1.1 client over hyper for `http://` URLs: what webhooks are delivered with
//! and what the load generator sends. No TLS: webhook listeners and the server under load are
//! on this machine.

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where an `http://` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as written (a name, an IPv4 address or a bracketed IPv6 one).
    pub host: String,
    /// The port (80 if the URL names none).
    pub port: u16,
    /// The path and query, at least `/`.
    pub path: String,
}

impl Target {
    /// Reads an `http://host[:port][/path]` URL.
    pub fn parse(url: &str) -> Result<Target, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err("only http:// URLs are delivered (this server has no TLS)".into());
        }
        let host = uri.host().ok_or("the URL names no host")?.to_owned();
        Ok(Target {
            port: uri.port_u16().unwrap_or(80),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            host,
        })
    }

    /// Whether the host is this machine's loopback interface.
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        bare.eq_ignore_ascii_case("localhost")
            || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn connect_address(&self) -> String {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{bare}:{}", self.port),
        }
    }
}

/// A kept-alive HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Connection {
    /// Connects to `target`'s host and port.
    pub async fn open(target: &Target) -> Result<Connection, String> {
        let stream = TcpStream::connect(target.connect_address())
            .await
            .map_err(|e| format!("connect to {}: {e}", target.authority()))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake with {}: {e}", target.authority()))?;
        tokio::spawn(async move {
            // The connection ends when the sender is dropped or the peer closes it.
            let _ = conn.await;
        });
        Ok(Connection {
            sender,
            authority: target.authority(),
        })
    }

    /// POSTs `body` as JSON to `path` with `headers`, returning the status and the body.
    pub async fn post_json(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(StatusCode, Bytes), String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let mut request = Request::post(path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes))
    }
}

/// One POST of `body` to `target` on a new connection, given up after `timeout`.
pub async fn post_once(
    target: &Target,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<StatusCode, String> {
    let attempt = async {
        let mut conn = Connection::open(target).await?;
        conn.post_json(&target.path, &[], body)
            .await
            .map(|(status, _)| status)
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_and_loopback_is_recognised() {
        let t = Target::parse("http://127.0.0.1:8080/hook?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8080, "/hook?x=1")
        );
        assert!(t.is_loopback());
        assert!(Target::parse("http://localhost/").unwrap().is_loopback());
        assert!(Target::parse("http://[::1]:9/").unwrap().is_loopback());
        assert!(!Target::parse("http://example.com/").unwrap().is_loopback());
        assert!(!Target::parse("http://10.0.0.1/").unwrap().is_loopback());
        assert!(Target::parse("https://127.0.0.1/").is_err());
        assert!(Target::parse("not a url").is_err());
        assert_eq!(
            Target::parse("http://[::1]:9/").unwrap().connect_address(),
            "[::1]:9"
        );
    }
}
