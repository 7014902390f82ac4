//! [`EventBox`]: where an [`Event`](super::Event)'s parts live, one recycled allocation per
//! event.
//!
//! An event holds a name, a payload and an ack id: 128 bytes, moved from the decoder through
//! the dispatcher to a handler and back out through an emit, where each move of a value that
//! large is a `memcpy` call. Boxed, a move copies one pointer. Each box would then cost an
//! allocation and a free per event (about 170 instructions with glibc), so a thread keeps
//! up to [`KEEP`] emptied boxes and hands them out again: taking or returning one is a few
//! instructions, and a busy connection allocates nothing per event.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use super::payload::Payload;
use crate::Str;

/// The most emptied boxes a thread keeps (128 bytes each: 32 KiB at most).
const KEEP: usize = 256;

thread_local! {
    /// This thread's emptied boxes (the boxes themselves are what is kept: hence boxes in a
    /// vector).
    #[allow(clippy::vec_box)]
    static FREE: RefCell<Vec<Box<EventParts>>> = const { RefCell::new(Vec::new()) };
}

/// What an event holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct EventParts {
    pub(super) name: Str,
    pub(super) payload: Payload,
    pub(super) ack: Option<u64>,
}

/// An [`EventParts`] in a box taken from this thread's emptied ones (or a new one), returned
/// to them, emptied, when dropped.
pub(super) struct EventBox(Option<Box<EventParts>>);

impl EventBox {
    /// `parts` in a box.
    #[inline]
    pub(super) fn new(parts: EventParts) -> EventBox {
        let reused = FREE
            .try_with(|free| free.try_borrow_mut().ok().and_then(|mut free| free.pop()))
            .ok()
            .flatten();
        EventBox(Some(match reused {
            Some(mut b) => {
                // What it held is `EventParts::default()`, which owns no memory (empty
                // static buffers, an empty boxed slice, no frame): nothing to drop.
                std::mem::forget(std::mem::replace(&mut *b, parts));
                b
            }
            None => Box::new(parts),
        }))
    }
}

impl Drop for EventBox {
    fn drop(&mut self) {
        let Some(mut b) = self.0.take() else {
            return;
        };
        // Its contents go now (their buffers are shared elsewhere or freed); the box waits.
        *b = EventParts::default();
        // During the thread's exit the list may be gone: the box is then freed.
        let _ = FREE.try_with(move |free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                if free.len() < KEEP {
                    free.push(b);
                }
            }
        });
    }
}

impl Deref for EventBox {
    type Target = EventParts;

    #[inline(always)]
    fn deref(&self) -> &EventParts {
        match &self.0 {
            Some(parts) => parts,
            // Taken only in `drop`.
            None => unreachable!("an event box is emptied only when dropped"),
        }
    }
}

impl DerefMut for EventBox {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut EventParts {
        match &mut self.0 {
            Some(parts) => parts,
            None => unreachable!("an event box is emptied only when dropped"),
        }
    }
}

impl Clone for EventBox {
    fn clone(&self) -> EventBox {
        EventBox::new((**self).clone())
    }
}

impl PartialEq for EventBox {
    fn eq(&self, other: &EventBox) -> bool {
        **self == **other
    }
}

impl Eq for EventBox {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str) -> EventParts {
        EventParts {
            name: Str::from(name.to_owned()),
            payload: Payload::default(),
            ack: Some(7),
        }
    }

    #[test]
    fn a_dropped_box_is_reused_emptied_and_the_list_is_bounded() {
        let first = EventBox::new(parts("a"));
        let at: *const EventParts = &*first;
        drop(first);
        // The same allocation again, holding the new parts only.
        let second = EventBox::new(parts("b"));
        assert_eq!(&*second as *const EventParts, at);
        assert_eq!(second.name.as_str(), "b");
        let copy = second.clone();
        assert!(copy == second);
        assert_ne!(&*copy as *const EventParts, at);
        drop((second, copy));
        // Many dropped at once: the list keeps at most `KEEP`.
        let many: Vec<EventBox> = (0..KEEP + 50).map(|_| EventBox::new(parts("c"))).collect();
        drop(many);
        assert_eq!(FREE.with(|f| f.borrow().len()), KEEP);
        // What waits in the list holds nothing (its buffers were released).
        FREE.with(|f| assert!(f.borrow().iter().all(|b| **b == EventParts::default())));
    }
}
