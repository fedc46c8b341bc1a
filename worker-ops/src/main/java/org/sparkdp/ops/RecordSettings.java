package org.sparkdp.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The settings of a record whose components are exactly those settings, in order ({@code
 * learning_rate} is the component {@code learningRate}): a layer or an optimizer declares its
 * settings once and gets reading from configuration (unknown keys refused), Keras' defaults, and
 * writing back to {@code model.json}.
 *
 * @param <R> the record
 */
public final class RecordSettings<R extends Record> {
  private final Class<R> type;
  private final List<Setting<?>> settings;
  private final RecordComponent[] components;
  private final Constructor<R> constructor;

  private RecordSettings(Class<R> type, List<Setting<?>> settings) {
    this.type = type;
    this.settings = List.copyOf(settings);
    this.components = type.getRecordComponents();
    if (components.length != settings.size()) {
      throw new IllegalStateException(
          type.getSimpleName()
              + " has "
              + components.length
              + " components but "
              + settings.size()
              + " settings");
    }
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      if (!components[i].getName().equals(settings.get(i).javaName())) {
        throw new IllegalStateException(
            type.getSimpleName()
                + " component "
                + components[i].getName()
                + " does not match setting "
                + settings.get(i).key());
      }
      types[i] = components[i].getType();
    }
    try {
      this.constructor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type + " has no canonical constructor", e);
    }
  }

  /** The settings of {@code type}, which must be its components in order. */
  public static <R extends Record> RecordSettings<R> of(Class<R> type, Setting<?>... settings) {
    return new RecordSettings<>(type, List.of(settings));
  }

  public List<Setting<?>> settings() {
    return settings;
  }

  /** Every key this record takes. */
  public Set<String> keys() {
    Set<String> keys = new LinkedHashSet<>();
    settings.forEach(s -> keys.add(s.key()));
    return keys;
  }

  /**
   * Reads the record from the mapping {@code node} at {@code path}: each setting from its key or
   * its default. Keys other than the settings' and {@code otherKeys} are refused by name.
   */
  public R read(JsonNode node, String path, Collection<String> otherKeys) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      node = JsonNodeFactory.instance.objectNode();
    }
    Configs.requireObject(node, path);
    Set<String> known = keys();
    known.addAll(otherKeys);
    Configs.checkKeys(node, path, known);
    List<Object> values = new ArrayList<>();
    for (Setting<?> s : settings) {
      values.add(s.read(node, path));
    }
    return construct(values, path);
  }

  /** The record with every setting at its default. */
  public R defaults() {
    List<Object> values = new ArrayList<>();
    settings.forEach(s -> values.add(s.defaultValue()));
    return construct(values, type.getSimpleName());
  }

  /** The record's values under their keys, as {@code model.json} stores them. */
  @SuppressWarnings("unchecked")
  public ObjectNode toJson(R record) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < components.length; i++) {
      Setting<Object> s = (Setting<Object>) settings.get(i);
      node.set(s.key(), s.toJson(value(record, i)));
    }
    return node;
  }

  private Object value(R record, int i) {
    try {
      return components[i].getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private R construct(List<Object> values, String path) {
    try {
      return constructor.newInstance(values.toArray());
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof ConfigException c) {
        throw new ConfigException(path + "." + c.getMessage());
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
