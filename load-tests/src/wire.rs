//! A lean HTTP/1.1 keep-alive client for the bid loop: one request at a time on one TCP
//! connection, the request written as bytes, the answer's status line and
//! `Content-Length` read and its body kept. It does what `wrk` does to stay out of the
//! way of the service it measures (a general client such as reqwest costs the generator
//! about as much CPU per request as the service's own routing and JSON), and no more:
//! no TLS, no redirects, no chunked bodies (licita answers every API call with a length).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest head (status line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The longest body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// One connection to the service, opened on first use and again after any failure.
pub struct Connection {
    addr: SocketAddr,
    host: String,
    timeout: Duration,
    stream: Option<TcpStream>,
    request: Vec<u8>,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
}

/// A response: its status and body.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    /// `base` is `http://host:port` (a loopback address, checked by the caller).
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(base).with_context(|| format!("{base}: not a URL"))?;
        anyhow::ensure!(
            url.scheme() == "http",
            "{base}: only http:// is spoken here"
        );
        let host = url
            .host_str()
            .context("a base URL without a host")?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = (host.trim_start_matches('[').trim_end_matches(']'), port);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&addr)?
            .next()
            .with_context(|| format!("{base}: no address"))?;
        Ok(Self {
            addr,
            host: format!("{host}:{port}"),
            timeout,
            stream: None,
            request: Vec::with_capacity(1024),
            buf: Vec::with_capacity(4096),
        })
    }

    /// POSTs a JSON body with the given extra headers; any failure (or the timeout)
    /// closes the connection, so the next call opens a fresh one.
    pub async fn post_json(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Response> {
        self.request.clear();
        let r = &mut self.request;
        r.extend_from_slice(b"POST ");
        r.extend_from_slice(path.as_bytes());
        r.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        r.extend_from_slice(self.host.as_bytes());
        r.extend_from_slice(b"\r\nContent-Type: application/json\r\nContent-Length: ");
        r.extend_from_slice(body.len().to_string().as_bytes());
        for (name, value) in headers {
            r.extend_from_slice(b"\r\n");
            r.extend_from_slice(name.as_bytes());
            r.extend_from_slice(b": ");
            r.extend_from_slice(value.as_bytes());
        }
        r.extend_from_slice(b"\r\n\r\n");
        r.extend_from_slice(body.as_bytes());
        match tokio::time::timeout(self.timeout, self.exchange()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => {
                self.close();
                Err(e)
            }
            Err(_) => {
                self.close();
                bail!("no answer within {:?}", self.timeout)
            }
        }
    }

    fn close(&mut self) {
        self.stream = None;
        self.buf.clear();
    }

    async fn exchange(&mut self) -> anyhow::Result<Response> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        let stream = self.stream.as_mut().context("no connection")?;
        stream.write_all(&self.request).await?;
        let (head_len, response, length, close) = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            anyhow::ensure!(
                self.buf.len() < MAX_HEAD,
                "a response head over {MAX_HEAD} bytes"
            );
            read_more(stream, &mut self.buf).await?;
        };
        while self.buf.len() < head_len + length {
            read_more(stream, &mut self.buf).await?;
        }
        let body = self.buf[head_len..head_len + length].to_vec();
        self.buf.drain(..head_len + length);
        if close {
            self.close();
        }
        Ok(Response {
            status: response,
            body,
        })
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.reserve(4096);
    let n = stream.read_buf(buf).await?;
    anyhow::ensure!(n > 0, "the service closed the connection");
    Ok(())
}

/// A complete response head at the start of `buf`: (its length, the status, the body's
/// length, whether the server closes the connection after it); `None` while incomplete.
fn parse_head(buf: &[u8]) -> anyhow::Result<Option<(usize, u16, usize, bool)>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).context("a response head that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP/1.1 status line: {status_line:?}"))?;
    let mut length = None;
    let mut close = false;
    for line in lines {
        let (name, value) = line.split_once(':').context("a header line without ':'")?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("a bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a chunked response (not spoken here)");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    let length = match length {
        Some(n) => n,
        // 204 and 304 carry no body; anything else must say how long it is.
        None if status == 204 || status == 304 => 0,
        None => bail!("a {status} response without Content-Length"),
    };
    anyhow::ensure!(length <= MAX_BODY, "a response body over {MAX_BODY} bytes");
    Ok(Some((end + 4, status, length, close)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_parsed_only_when_complete() {
        let full = b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\nx: y\r\n\r\nhello";
        assert_eq!(parse_head(&full[..20]).unwrap(), None);
        assert_eq!(
            parse_head(full).unwrap(),
            Some((full.len() - 5, 201, 5, false))
        );
        let closing =
            b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            parse_head(closing).unwrap(),
            Some((closing.len(), 503, 0, true))
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"SMTP 220\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn a_keep_alive_exchange_reads_each_answer_whole() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            for answer in ["one", "two!"] {
                let mut buf = [0u8; 1024];
                let n = socket.read(&mut buf).await.unwrap();
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let response = format!(
                    "HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                // The head and the body in two writes: the client must wait for both.
                let (head, body) = response.split_at(response.len() - answer.len());
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.flush().await.unwrap();
                socket.write_all(body.as_bytes()).await.unwrap();
            }
            seen
        });
        let mut connection =
            Connection::new(&format!("http://{addr}"), Duration::from_secs(5)).unwrap();
        for expected in ["one", "two!"] {
            let response = connection
                .post_json("/x", &[("Idempotency-Key", "k")], "{}")
                .await
                .unwrap();
            assert_eq!(response.status, 201);
            assert_eq!(response.body, expected.as_bytes());
        }
        let seen = server.await.unwrap();
        assert_eq!(seen.len(), 2);
        assert!(seen[0].starts_with("POST /x HTTP/1.1\r\n"), "{}", seen[0]);
        assert!(seen[0].contains("\r\nContent-Length: 2\r\nIdempotency-Key: k\r\n\r\n{}"));
    }
}
