//! AIS from the network: `tcp://HOST:PORT` connects to a receiver or aggregator that serves
//! NMEA lines (AIS-catcher, rtl-ais, aisdeco, AISHub, the Norwegian Coastal Administration),
//! `udp://[HOST]:PORT` listens for the datagrams receivers forward (the usual way: OpenCPN,
//! AIS-catcher and most dongles "forward to UDP port N").
//!
//! TCP reads lines with the same cap as files until the connection closes. UDP runs until
//! the process is stopped; a datagram may hold several lines, each decoded as one line (a
//! datagram is at most 65,507 bytes, under the line cap), and pending reports are posted at
//! least once a second even when the feed goes quiet, so a ship is never held back.

use std::io::BufReader;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use anyhow::Context;
use deconflict_feeds::{AisDecoder, FeedStats, LineError, LineReader};

use super::Poster;

/// Where AIS comes from.
#[derive(Debug, PartialEq)]
pub enum Endpoint {
    /// Connect to this address and read lines.
    Tcp(String),
    /// Bind this address and read datagrams.
    Udp(String),
}

impl Endpoint {
    /// `tcp://host:port` or `udp://host:port` (`udp://:port` listens on every interface).
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        if let Some(address) = url.strip_prefix("tcp://") {
            anyhow::ensure!(address.contains(':'), "--ais {url}: give tcp://HOST:PORT");
            Ok(Endpoint::Tcp(address.to_owned()))
        } else if let Some(address) = url.strip_prefix("udp://") {
            let address = if address.starts_with(':') {
                format!("0.0.0.0{address}")
            } else {
                address.to_owned()
            };
            anyhow::ensure!(address.contains(':'), "--ais {url}: give udp://:PORT");
            Ok(Endpoint::Udp(address))
        } else {
            anyhow::bail!("--ais {url}: give tcp://HOST:PORT or udp://:PORT")
        }
    }
}

/// Reads the feed into `poster` until it ends (TCP) or the process is stopped (UDP).
pub fn read(endpoint: &Endpoint, poster: &mut Poster) -> anyhow::Result<FeedStats> {
    let mut decoder = AisDecoder::new();
    let lines = match endpoint {
        Endpoint::Tcp(address) => read_tcp(address, &mut decoder, poster)?,
        Endpoint::Udp(address) => read_udp(address, &mut decoder, poster)?,
    };
    eprintln!(
        "deconflict ingest: static data (name, callsign, size) from {} vessels",
        decoder.vessels().count()
    );
    let mut stats = decoder.stats().clone();
    stats.lines = lines;
    Ok(stats)
}

fn read_tcp(address: &str, decoder: &mut AisDecoder, poster: &mut Poster) -> anyhow::Result<u64> {
    let stream =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    eprintln!("deconflict ingest: reading AIS from tcp://{address}");
    let mut lines = LineReader::new(BufReader::new(stream));
    while let Some((number, line)) = lines
        .next_line()
        .with_context(|| format!("the connection to {address} failed"))?
    {
        let received = Some(chrono::Utc::now());
        if let Ok(Some(report)) = decoder.push_received(number, line, received) {
            poster.push(report)?;
        }
    }
    Ok(lines.line_number())
}

fn read_udp(address: &str, decoder: &mut AisDecoder, poster: &mut Poster) -> anyhow::Result<u64> {
    let socket = UdpSocket::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(1)))?;
    eprintln!(
        "deconflict ingest: listening for AIS on udp://{}",
        socket.local_addr()?
    );
    let mut buffer = vec![0u8; 65_536];
    let mut line_number = 0u64;
    loop {
        let size = match socket.recv(&mut buffer) {
            Ok(size) => size,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                poster.flush()?;
                continue;
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context("reading UDP datagrams failed"),
        };
        let received = Some(chrono::Utc::now());
        for bytes in datagram_lines(&buffer[..size]) {
            line_number += 1;
            let line =
                std::str::from_utf8(bytes).map_err(|_| LineError::NotUtf8 { line: line_number });
            if let Ok(Some(report)) = decoder.push_received(line_number, line, received) {
                poster.push(report)?;
            }
        }
    }
}

/// The lines of one datagram, without `\r\n` endings; a datagram without a line ending is
/// one line.
fn datagram_lines(datagram: &[u8]) -> impl Iterator<Item = &[u8]> {
    datagram
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_tcp_or_udp_with_a_port() {
        assert_eq!(
            Endpoint::parse("tcp://153.44.253.27:5631").unwrap(),
            Endpoint::Tcp("153.44.253.27:5631".into())
        );
        assert_eq!(
            Endpoint::parse("udp://:10110").unwrap(),
            Endpoint::Udp("0.0.0.0:10110".into())
        );
        assert_eq!(
            Endpoint::parse("udp://127.0.0.1:10110").unwrap(),
            Endpoint::Udp("127.0.0.1:10110".into())
        );
        for bad in ["localhost:10110", "tcp://localhost", "http://x:1", "udp://"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_datagram_is_split_into_its_lines() {
        let lines: Vec<&[u8]> = datagram_lines(b"!A,1\r\n!B,2\n\n!C").collect();
        assert_eq!(lines, [&b"!A,1"[..], b"!B,2", b"!C"]);
    }
}
