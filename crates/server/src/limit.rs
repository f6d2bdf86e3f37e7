//! Token buckets per source address (unseal, sign-in) or per API key, so a
//! client cannot grind through guesses or flood the audit trail.
//!
//! Deliberately in memory and per process: it throttles, it does not
//! authenticate. The table of addresses is bounded; when it is full, idle
//! (fully refilled) buckets are dropped first, and if none is idle a new
//! address is refused until one is.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once.
const MAX_SOURCES: usize = 4096;

/// Token buckets keyed by source address.
#[derive(Debug)]
pub(crate) struct RateLimiter<K = IpAddr> {
    burst: u32,
    refill_every: Duration,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    last: Instant,
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    /// `burst` requests at once per address, then one more every `refill_every`.
    pub(crate) fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst: burst.max(1),
            refill_every: refill_every.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `source` at `now`; on refusal, how long until the
    /// next token.
    pub(crate) fn take(&self, source: K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&source) && buckets.len() >= MAX_SOURCES {
            // Keep only buckets still in use; a full bucket is the same as none.
            buckets.retain(|_, b| self.refilled(*b, now).tokens < self.burst);
            if buckets.len() >= MAX_SOURCES {
                return Err(self.refill_every);
            }
        }
        let bucket = buckets.entry(source).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        *bucket = self.refilled(*bucket, now);
        if bucket.tokens == 0 {
            let waited = now.saturating_duration_since(bucket.last);
            return Err(self.refill_every.saturating_sub(waited));
        }
        bucket.tokens -= 1;
        Ok(())
    }

    /// The bucket with the tokens earned since `last` added (up to the burst).
    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(bucket.last);
        let earned = elapsed.as_nanos() / self.refill_every.as_nanos().max(1);
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        if earned == 0 {
            return bucket;
        }
        let tokens = bucket.tokens.saturating_add(earned).min(self.burst);
        let used = self
            .refill_every
            .saturating_mul(earned.min(self.burst.saturating_add(1)));
        let last = if tokens == self.burst {
            now
        } else {
            bucket.last.checked_add(used).unwrap_or(now)
        };
        Bucket { tokens, last }
    }
}

/// The 429 answer for a refusal that lasts `wait`, rounded up to whole seconds.
pub(crate) fn limited(wait: Duration) -> crate::error::Error {
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    crate::error::Error::RateLimited {
        retry_after_secs: secs.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_then_refill_per_address() {
        let limiter = RateLimiter::new(3, Duration::from_secs(10));
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(a, t0), Ok(()));
        }
        let wait = limiter.take(a, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        // Another address has its own bucket.
        assert_eq!(limiter.take(b, t0), Ok(()));
        // 4 s later: 6 s still to wait; 10 s later: exactly one token.
        let wait = limiter.take(a, t0 + Duration::from_secs(4)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(limiter.take(a, t1), Ok(()));
        assert!(limiter.take(a, t1).is_err());
        // Long idle: back to the full burst, never more.
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take(a, t2), Ok(()));
        }
        assert!(limiter.take(a, t2).is_err());
    }
}
