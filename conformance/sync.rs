//! Pull sync against the Graph fake (conformance/graph-fake).

mod graph_client;
