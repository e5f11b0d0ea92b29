//! Just enough of the Redis protocol (RESP2) to send a command and read its reply on one
//! TCP connection: the `script` scenario's client, with nothing in between.

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    /// The text of a simple or bulk string.
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Simple(s) => Some(s.clone()),
            Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
}

pub struct Connection {
    stream: BufReader<TcpStream>,
    out: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to Redis at {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            out: Vec::new(),
        })
    }

    /// Sends one command and reads its reply (an error reply is an `Ok(Reply::Error)`).
    pub async fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> anyhow::Result<Reply> {
        self.out.clear();
        self.out
            .extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            let arg = arg.as_ref();
            self.out
                .extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            self.out.extend_from_slice(arg);
            self.out.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&self.out).await?;
        self.read().await
    }

    async fn line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            bail!("Redis closed the connection");
        }
        Ok(line.trim_end_matches("\r\n").to_owned())
    }

    async fn scalar(&mut self) -> anyhow::Result<Result<Reply, usize>> {
        let line = self.line().await?;
        let (kind, rest) = line.split_at_checked(1).context("an empty reply line")?;
        Ok(match kind {
            "+" => Ok(Reply::Simple(rest.to_owned())),
            "-" => Ok(Reply::Error(rest.to_owned())),
            ":" => Ok(Reply::Int(rest.parse()?)),
            "$" => {
                let len: i64 = rest.parse()?;
                if len < 0 {
                    Ok(Reply::Bulk(None))
                } else {
                    let mut data = vec![0; usize::try_from(len)? + 2];
                    self.stream.read_exact(&mut data).await?;
                    data.truncate(data.len() - 2);
                    Ok(Reply::Bulk(Some(data)))
                }
            }
            "*" => {
                let len: i64 = rest.parse()?;
                Err(usize::try_from(len).unwrap_or(0))
            }
            other => bail!("an unknown reply type {other:?}"),
        })
    }

    /// A reply: a scalar, or an array of scalars (the script answers no deeper).
    async fn read(&mut self) -> anyhow::Result<Reply> {
        match self.scalar().await? {
            Ok(reply) => Ok(reply),
            Err(len) => {
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    match self.scalar().await? {
                        Ok(reply) => items.push(reply),
                        Err(_) => bail!("a nested array reply"),
                    }
                }
                Ok(Reply::Array(items))
            }
        }
    }
}
