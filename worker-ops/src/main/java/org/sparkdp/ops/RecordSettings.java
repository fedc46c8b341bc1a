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
 * <p>A component may also be a record of its own settings (a <em>group</em>, e.g. the arguments
 * every optimizer takes): its keys sit in the same mapping as the others', as Keras' keyword
 * arguments do.
 *
 * @param <R> the record
 */
public final class RecordSettings<R extends Record> implements SettingPart {

  private final Class<R> type;
  private final List<SettingPart> parts;
  private final RecordComponent[] components;
  private final Constructor<R> constructor;

  private RecordSettings(Class<R> type, List<SettingPart> parts) {
    this.type = type;
    this.parts = List.copyOf(parts);
    this.components = type.getRecordComponents();
    if (components.length != parts.size()) {
      throw new IllegalStateException(
          type.getSimpleName()
              + " has "
              + components.length
              + " components but "
              + parts.size()
              + " settings");
    }
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      SettingPart p = parts.get(i);
      boolean matches =
          p instanceof Setting<?> s
              ? components[i].getName().equals(s.javaName())
              : components[i].getType().equals(((RecordSettings<?>) p).type);
      if (!matches) {
        throw new IllegalStateException(
            type.getSimpleName()
                + " component "
                + components[i].getName()
                + " does not match "
                + p);
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
  public static <R extends Record> RecordSettings<R> of(Class<R> type, SettingPart... parts) {
    return new RecordSettings<>(type, List.of(parts));
  }

  public Class<R> type() {
    return type;
  }

  /** Every setting, a group's in its place. */
  public List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>();
    for (SettingPart p : parts) {
      if (p instanceof Setting<?> s) {
        all.add(s);
      } else {
        all.addAll(((RecordSettings<?>) p).settings());
      }
    }
    return all;
  }

  /** The settings bound directly to a component, without the groups'. */
  public List<Setting<?>> own() {
    List<Setting<?>> own = new ArrayList<>();
    for (SettingPart p : parts) {
      if (p instanceof Setting<?> s) {
        own.add(s);
      }
    }
    return own;
  }

  /** The groups among the components. */
  public List<RecordSettings<?>> groups() {
    List<RecordSettings<?>> groups = new ArrayList<>();
    for (SettingPart p : parts) {
      if (p instanceof RecordSettings<?> g) {
        groups.add(g);
      }
    }
    return groups;
  }

  /** Every key this record takes. */
  public Set<String> keys() {
    Set<String> keys = new LinkedHashSet<>();
    settings().forEach(s -> keys.add(s.key()));
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
    return readValues(node, path);
  }

  /**
   * Reads the record from a mapping that is the value of another setting (an initializer, a
   * schedule): messages are relative ({@code .stddev: ...}) for that setting to prefix its path.
   */
  public R readInside(JsonNode node, Collection<String> otherKeys) {
    try {
      return read(node, "", otherKeys);
    } catch (ConfigException e) {
      String m = e.getMessage();
      throw new ConfigException(m.startsWith(".") || m.startsWith(":") ? m : "." + m);
    }
  }

  private R readValues(JsonNode node, String path) {
    List<Object> values = new ArrayList<>();
    for (SettingPart p : parts) {
      values.add(
          p instanceof Setting<?> s
              ? s.read(node, path)
              : ((RecordSettings<?>) p).readValues(node, path));
    }
    return construct(values, path);
  }

  /** The record with every setting at its default. */
  public R defaults() {
    List<Object> values = new ArrayList<>();
    for (SettingPart p : parts) {
      values.add(p instanceof Setting<?> s ? s.defaultValue() : ((RecordSettings<?>) p).defaults());
    }
    return construct(values, type.getSimpleName());
  }

  /** The record's values under their keys, as {@code model.json} stores them. */
  @SuppressWarnings("unchecked")
  public ObjectNode toJson(R record) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < parts.size(); i++) {
      Object value = value(record, i);
      if (parts.get(i) instanceof Setting<?> s) {
        node.set(s.key(), ((Setting<Object>) s).toJson(value));
      } else {
        node.setAll(((RecordSettings<Record>) parts.get(i)).toJson((Record) value));
      }
    }
    return node;
  }

  /** The record's values under their keys, a group's in its place, in order. */
  @SuppressWarnings("unchecked")
  public java.util.Map<String, Object> values(R record) {
    java.util.Map<String, Object> values = new java.util.LinkedHashMap<>();
    for (int i = 0; i < parts.size(); i++) {
      Object value = value(record, i);
      if (parts.get(i) instanceof Setting<?> s) {
        values.put(s.key(), value);
      } else {
        values.putAll(((RecordSettings<Record>) parts.get(i)).values((Record) value));
      }
    }
    return values;
  }

  @Override
  public String toString() {
    return type.getSimpleName() + " settings";
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
