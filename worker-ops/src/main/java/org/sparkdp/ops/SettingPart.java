package org.sparkdp.ops;

/**
 * What a component of a record with {@link RecordSettings} is bound to: one {@link Setting}, or a
 * group of settings that is a record of its own (read from, and written to, the same mapping).
 */
public sealed interface SettingPart permits Setting, RecordSettings {}
