import Testing

/// Tests that start the real `junctiond` (and `junctionctl`) on temporary sockets. Serialized: several assert
/// on timing (a stalled client must not delay another), which two busy cores would blur.
@Suite(.serialized) struct EndToEnd {}
