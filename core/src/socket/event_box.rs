//! [`EventBox`]: where an [`Event`](super::Event)'s parts live, one shared, recycled
//! allocation per event.
//!
//! An event holds a name, a payload and an ack id: 128 bytes, moved from the decoder through
//! the dispatcher to a handler and back out through an emit, where each move of a value that
//! large is a `memcpy` call. Behind a pointer, a move copies the pointer. The pointer is an
//! [`Arc`]: an event re-sent as it came (an echo, a relay: [`Event::renamed`] to its own
//! name) shares the received one's parts instead of copying its three buffer handles, and is
//! changed (given an ack id) only through a copy when shared.
//!
//! An allocation and a free per event would cost about 170 instructions with glibc, so a
//! thread keeps up to [`KEEP`] emptied allocations and hands them out again: taking or
//! returning one costs a few instructions, and a busy connection allocates nothing per event.
//!
//! [`Event::renamed`]: super::Event::renamed

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::payload::Payload;
use crate::Str;

/// The most emptied allocations a thread keeps (144 bytes each: about 36 KiB at most).
const KEEP: usize = 256;

thread_local! {
    /// This thread's emptied allocations, none of them shared.
    static FREE: RefCell<Vec<Arc<EventParts>>> = const { RefCell::new(Vec::new()) };
}

/// What an event holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct EventParts {
    pub(super) name: Str,
    pub(super) payload: Payload,
    pub(super) ack: Option<u64>,
}

/// An [`EventParts`] in an allocation taken from this thread's emptied ones (or a new one),
/// shared by clones, and returned to them, emptied, when the last holder drops it.
/// Dereferencing it mutably copies the parts first if they are shared.
pub(super) struct EventBox(Option<Arc<EventParts>>);

impl EventBox {
    /// `parts` in an allocation of their own.
    #[inline]
    pub(super) fn new(parts: EventParts) -> EventBox {
        let reused = FREE
            .try_with(|free| free.try_borrow_mut().ok().and_then(|mut free| free.pop()))
            .ok()
            .flatten();
        if let Some(mut arc) = reused {
            if let Some(slot) = Arc::get_mut(&mut arc) {
                // What it held is `EventParts::default()`, which owns no memory (empty
                // static buffers, an empty boxed slice, no frame): nothing to drop.
                std::mem::forget(std::mem::replace(slot, parts));
                return EventBox(Some(arc));
            }
        }
        EventBox(Some(Arc::new(parts)))
    }

    /// The parts, when no other event shares them.
    #[inline]
    pub(super) fn unique(&mut self) -> Option<&mut EventParts> {
        self.0.as_mut().and_then(Arc::get_mut)
    }
}

impl Drop for EventBox {
    fn drop(&mut self) {
        let Some(mut arc) = self.0.take() else {
            return;
        };
        // Still shared: the last holder recycles it.
        let Some(parts) = Arc::get_mut(&mut arc) else {
            return;
        };
        // Its contents go now (their buffers are shared elsewhere or freed); the allocation
        // waits.
        *parts = EventParts::default();
        // During the thread's exit the list may be gone: the allocation is then freed.
        let _ = FREE.try_with(move |free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                if free.len() < KEEP {
                    free.push(arc);
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
    /// The parts to change, copied first if another event shares them.
    #[inline]
    fn deref_mut(&mut self) -> &mut EventParts {
        match &mut self.0 {
            Some(parts) => Arc::make_mut(parts),
            None => unreachable!("an event box is emptied only when dropped"),
        }
    }
}

impl Clone for EventBox {
    /// The same parts, shared.
    fn clone(&self) -> EventBox {
        EventBox(self.0.clone())
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
        let mut second = EventBox::new(parts("b"));
        assert_eq!(&*second as *const EventParts, at);
        assert_eq!(second.name.as_str(), "b");
        // A clone shares the parts until one of them is changed.
        let mut copy = second.clone();
        assert_eq!(&*copy as *const EventParts, at);
        assert!(copy.unique().is_none());
        copy.ack = None;
        assert_ne!(&*copy as *const EventParts, at);
        assert_eq!((second.ack, copy.ack), (Some(7), None));
        assert!(second.unique().is_some());
        drop((second, copy));
        // Many dropped at once: the list keeps at most `KEEP`.
        let many: Vec<EventBox> = (0..KEEP + 50).map(|_| EventBox::new(parts("c"))).collect();
        drop(many);
        assert_eq!(FREE.with(|f| f.borrow().len()), KEEP);
        // What waits in the list holds nothing (its buffers were released) and is not shared.
        FREE.with(|f| {
            assert!(f
                .borrow()
                .iter()
                .all(|a| **a == EventParts::default() && Arc::strong_count(a) == 1))
        });
    }

    #[test]
    fn a_shared_box_is_recycled_by_its_last_holder() {
        let one = EventBox::new(parts("shared"));
        let at: *const EventParts = &*one;
        let two = one.clone();
        drop(one);
        // Still held: not in the list, so a new box does not get it.
        let other = EventBox::new(parts("other"));
        assert_ne!(&*other as *const EventParts, at);
        assert_eq!(two.name.as_str(), "shared");
        drop(two);
        let again = EventBox::new(parts("again"));
        assert_eq!(&*again as *const EventParts, at);
        drop(other);
    }
}
