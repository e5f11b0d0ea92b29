//! Caps on the event streams open at once in this instance: in all, and per client (a
//! token's role and subject, or the peer address without one). A stream holds a [`Slot`]
//! for as long as it is open; dropping it gives the place back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The instance has its most streams open.
    Total(usize),
    /// This client has its most streams open.
    Client(usize),
}

#[derive(Debug)]
pub struct StreamSlots {
    max_total: usize,
    max_per_client: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<String, usize>,
}

/// One open stream's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<StreamSlots>,
    client: String,
}

impl StreamSlots {
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_client,
            open: Mutex::new(Open::default()),
        })
    }

    /// A place for one more stream of `client`, if the caps allow it.
    pub fn take(self: &Arc<Self>, client: &str) -> Result<Slot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max_total {
            return Err(Full::Total(self.max_total));
        }
        let mine = open.by_client.get(client).copied().unwrap_or(0);
        if mine >= self.max_per_client {
            return Err(Full::Client(self.max_per_client));
        }
        open.total += 1;
        open.by_client.insert(client.to_owned(), mine + 1);
        Ok(Slot {
            slots: self.clone(),
            client: client.to_owned(),
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_cap_is_refused_until_one_of_its_streams_ends() {
        let slots = StreamSlots::new(10, 2);
        let a1 = slots.take("a").unwrap();
        let _a2 = slots.take("a").unwrap();
        assert_eq!(slots.take("a").unwrap_err(), Full::Client(2));
        let _b = slots.take("b").unwrap();
        drop(a1);
        let _a3 = slots.take("a").unwrap();
        assert_eq!(slots.open(), 3);
    }

    #[test]
    fn the_instance_refuses_past_its_cap_whoever_asks() {
        let slots = StreamSlots::new(2, 5);
        let _a = slots.take("a").unwrap();
        let b = slots.take("b").unwrap();
        assert_eq!(slots.take("c").unwrap_err(), Full::Total(2));
        drop(b);
        assert!(slots.take("c").is_ok());
        assert_eq!(slots.open(), 1, "the slot of c was dropped at once");
    }
}
