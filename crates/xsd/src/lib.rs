//! Structure checks from the official invoice XML Schemas (work in progress).
