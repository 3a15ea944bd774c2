package dev.audiencesegmenter.io.sources;

import dev.audiencesegmenter.io.sources.SourceMapping.ConsentField;
import dev.audiencesegmenter.io.sources.SourceMapping.FieldSet;
import dev.audiencesegmenter.io.sources.SourceMapping.Kind;
import dev.audiencesegmenter.segments.ClosestName;
import dev.audiencesegmenter.segments.TraitType;
import dev.audiencesegmenter.yaml.YamlFields;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a mapping file (YAML) into a {@link SourceMapping}; every mistake is an
 * {@link InvalidMappingException} naming the file, line and column, with a suggestion for a
 * misspelt key. The keys are described in io/README.md, "Sources".
 */
public final class MappingFiles {
  private static final Set<String> TOP = Set.of("format", "kind", "source", "keep", "id",
      "type",
      "time", "identifiers", "revenue", "currency", "consent", "properties", "properties_from",
      "attributes", "attributes_from");
  private static final Set<String> TYPE_KEYS = Set.of("path", "names");
  private static final Set<String> TIME_KEYS = Set.of("path", "unit", "pattern", "zone");
  private static final Set<String> REVENUE_KEYS = Set.of("path", "negative_for");
  private static final Set<String> CONSENT_KEYS = Set.of("path", "opt_out");
  private static final Set<String> ATTRIBUTE_KEYS = Set.of("path", "type");
  private static final Set<String> KEEP_KEYS = Set.of("path", "equals");
  private static final Set<String> SET_KEYS = Set.of("object", "array", "key", "value",
      "prefix", "except");
  private static final Map<String, TimeField.Unit> UNITS = Map.of(
      "iso", TimeField.Unit.ISO,
      "epoch_seconds", TimeField.Unit.EPOCH_SECONDS,
      "epoch_millis", TimeField.Unit.EPOCH_MILLIS,
      "epoch_micros", TimeField.Unit.EPOCH_MICROS);

  private final String file;
  private final YamlFields yaml = new YamlFields(this::error);

  private MappingFiles(String file) {
    this.file = file;
  }

  /** The mapping in {@code text}; {@code file} names it in errors and, by default, the format. */
  public static SourceMapping parse(String text, String file) {
    return new MappingFiles(file).read(text);
  }

  private SourceMapping read(String text) {
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark();
      throw new InvalidMappingException(file, mark.getLine() + 1, mark.getColumn() + 1,
          "not valid YAML: " + e.getProblem());
    }
    if (root == null) {
      throw new InvalidMappingException(file, 1, 1, "the file is empty");
    }
    Map<String, Node> top = mapping(root, "the top level", TOP);
    String name = top.containsKey("format") ? scalar(top.get("format"), "format") : file;
    Node kindNode = require(top, "kind", root, "the top level");
    String kindText = scalar(kindNode, "kind");
    Kind kind = switch (kindText) {
      case "events" -> Kind.EVENTS;
      case "profiles" -> Kind.PROFILES;
      default -> throw error(kindNode, "'kind' must be events or profiles, got '" + kindText
          + "'");
    };
    String fields = kind == Kind.EVENTS ? "properties" : "attributes";
    String other = kind == Kind.EVENTS ? "attributes" : "properties";
    for (String key : List.of(other, other + "_from")) {
      if (top.containsKey(key)) {
        throw error(top.get(key), "'" + key + "' belongs to a mapping of "
            + (kind == Kind.EVENTS ? "profiles" : "events") + "; this one maps "
            + kindText + " (use '" + key.replace(other, fields) + "')");
      }
    }
    if (kind == Kind.PROFILES) {
      for (String key : List.of("type", "revenue", "currency")) {
        if (top.containsKey(key)) {
          throw error(top.get(key), "profiles have no '" + key + "'; remove it");
        }
      }
    }
    SourceMapping.Builder b = SourceMapping.builder()
        .setName(name)
        .setKind(kind)
        .setSource(top.containsKey("source") ? scalar(top.get("source"), "source") : name);
    if (top.containsKey("keep")) {
      Node keepNode = top.get("keep");
      Map<String, Node> k = mapping(keepNode, "'keep'", KEEP_KEYS);
      b.setKeepPath(path(require(k, "path", keepNode, "'keep'"), "keep.path"));
      Set<String> values = new LinkedHashSet<>();
      for (Node n : items(require(k, "equals", keepNode, "'keep'"))) {
        values.add(scalar(n, "keep.equals"));
      }
      b.setKeepValues(Collections.unmodifiableSet(values));
    }
    if (top.containsKey("id")) {
      List<FieldPath> parts = new ArrayList<>();
      for (Node part : items(top.get("id"))) {
        parts.add(path(part, "id"));
      }
      b.setIdParts(List.copyOf(parts));
    }
    if (kind == Kind.EVENTS) {
      Node typeNode = require(top, "type", root, "a mapping of events");
      if (typeNode instanceof MappingNode) {
        Map<String, Node> t = mapping(typeNode, "'type'", TYPE_KEYS);
        b.setType(path(require(t, "path", typeNode, "'type'"), "type.path"));
        if (t.containsKey("names")) {
          b.setTypeNames(stringMap(t.get("names"), "type.names"));
        }
      } else {
        b.setType(path(typeNode, "type"));
      }
    }
    b.setTime(time(require(top, "time", root, "the top level")));
    Node idsNode = require(top, "identifiers", root, "the top level");
    Map<String, FieldPath> ids = paths(idsNode, "identifiers");
    if (ids.isEmpty()) {
      throw error(idsNode, "'identifiers' must name at least one identifier");
    }
    b.setIdentifiers(ids);
    if (top.containsKey("revenue")) {
      Node r = top.get("revenue");
      if (r instanceof MappingNode) {
        Map<String, Node> rev = mapping(r, "'revenue'", REVENUE_KEYS);
        b.setRevenue(path(require(rev, "path", r, "'revenue'"), "revenue.path"));
        if (rev.containsKey("negative_for")) {
          Set<String> types = new LinkedHashSet<>();
          for (Node n : items(rev.get("negative_for"))) {
            types.add(scalar(n, "negative_for"));
          }
          b.setNegativeRevenueTypes(Collections.unmodifiableSet(types));
        }
      } else {
        b.setRevenue(path(r, "revenue"));
      }
    }
    if (top.containsKey("currency")) {
      b.setCurrency(path(top.get("currency"), "currency"));
    }
    if (top.containsKey("consent")) {
      b.setConsent(consent(top.get("consent")));
    }
    if (top.containsKey(fields)) {
      if (kind == Kind.PROFILES) {
        Map<String, TraitType> types = new LinkedHashMap<>();
        b.setFields(attributes(top.get(fields), types));
        b.setFieldTypes(Collections.unmodifiableMap(types));
      } else {
        b.setFields(paths(top.get(fields), fields));
      }
    }
    if (top.containsKey(fields + "_from")) {
      List<FieldSet> sets = new ArrayList<>();
      for (Node n : items(top.get(fields + "_from"))) {
        sets.add(fieldSet(n, fields + "_from"));
      }
      b.setFieldSets(List.copyOf(sets));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw error(root, e.getMessage());
    }
  }

  private TimeField time(Node node) {
    if (!(node instanceof MappingNode)) {
      return TimeField.of(path(node, "time"), TimeField.Unit.ISO);
    }
    Map<String, Node> t = mapping(node, "'time'", TIME_KEYS);
    FieldPath path = path(require(t, "path", node, "'time'"), "time.path");
    if (t.containsKey("pattern")) {
      if (t.containsKey("unit")) {
        throw error(t.get("unit"), "'time' takes either 'unit' or 'pattern', not both");
      }
      String zone = t.containsKey("zone") ? scalar(t.get("zone"), "zone") : "UTC";
      try {
        return TimeField.pattern(path, scalar(t.get("pattern"), "pattern"), zone);
      } catch (IllegalArgumentException e) {
        throw error(t.get("pattern"), e.getMessage());
      }
    }
    if (t.containsKey("zone")) {
      throw error(t.get("zone"), "'zone' goes with 'pattern' (ISO times carry their offset, "
          + "epoch counts are UTC)");
    }
    String unit = t.containsKey("unit") ? scalar(t.get("unit"), "unit") : "iso";
    TimeField.Unit u = UNITS.get(unit.toLowerCase(Locale.ROOT));
    if (u == null) {
      throw error(t.get("unit"), "unknown time unit '" + unit + "' (known: "
          + String.join(", ", new TreeSet<>(UNITS.keySet())) + ")"
          + ClosestName.suggestion(unit, UNITS.keySet()));
    }
    return TimeField.of(path, u);
  }

  private Map<String, ConsentField> consent(Node node) {
    Map<String, ConsentField> out = new LinkedHashMap<>();
    for (NodeTuple tuple : entries(node, "'consent'")) {
      String channel = scalar(tuple.getKeyNode(), "consent channel");
      Node value = tuple.getValueNode();
      if (value instanceof MappingNode) {
        Map<String, Node> c = mapping(value, "consent '" + channel + "'", CONSENT_KEYS);
        boolean optOut = c.containsKey("opt_out") && yaml.bool(c.get("opt_out"), "opt_out");
        out.put(channel, new ConsentField(path(require(c, "path", value, "consent '"
            + channel + "'"), "consent." + channel + ".path"), optOut));
      } else {
        out.put(channel, new ConsentField(path(value, "consent." + channel), false));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private FieldSet fieldSet(Node node, String what) {
    Map<String, Node> s = mapping(node, "an entry of '" + what + "'", SET_KEYS);
    String prefix = s.containsKey("prefix") ? scalarOrEmpty(s.get("prefix")) : "";
    Set<String> except = new LinkedHashSet<>();
    if (s.containsKey("except")) {
      for (Node n : items(s.get("except"))) {
        except.add(scalar(n, "except"));
      }
    }
    if (s.containsKey("object") == s.containsKey("array")) {
      throw error(node, "an entry of '" + what + "' takes 'object' (every field of an object) "
          + "or 'array' (an array of key/value objects), one of them");
    }
    if (s.containsKey("object")) {
      for (String key : List.of("key", "value")) {
        if (s.containsKey(key)) {
          throw error(s.get(key), "'" + key + "' goes with 'array', not 'object'");
        }
      }
      return new FieldSet(path(s.get("object"), what + ".object"), null, null, prefix,
          Collections.unmodifiableSet(except));
    }
    return new FieldSet(path(s.get("array"), what + ".array"),
        scalar(require(s, "key", node, "an 'array' entry"), "key"),
        path(require(s, "value", node, "an 'array' entry"), "value"), prefix,
        Collections.unmodifiableSet(except));
  }

  /** Attributes: name to path, or to {path, type} for a typed one (collected in types). */
  private Map<String, FieldPath> attributes(Node node, Map<String, TraitType> types) {
    Map<String, FieldPath> out = new LinkedHashMap<>();
    for (NodeTuple tuple : entries(node, "'attributes'")) {
      String key = scalar(tuple.getKeyNode(), "attributes name");
      Node value = tuple.getValueNode();
      if (!(value instanceof MappingNode)) {
        out.put(key, path(value, "attributes." + key));
        continue;
      }
      Map<String, Node> a = mapping(value, "attribute '" + key + "'", ATTRIBUTE_KEYS);
      out.put(key, path(require(a, "path", value, "attribute '" + key + "'"),
          "attributes." + key + ".path"));
      if (a.containsKey("type")) {
        String name = scalar(a.get("type"), "type");
        TraitType type = TraitType.named(name);
        if (type == null) {
          throw error(a.get("type"), "unknown type '" + name + "' of attribute '" + key
              + "' (known: bool, double, int, list, string)");
        }
        if (type != TraitType.STRING) {
          types.put(key, type);
        }
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private Map<String, FieldPath> paths(Node node, String what) {
    Map<String, FieldPath> out = new LinkedHashMap<>();
    for (NodeTuple tuple : entries(node, "'" + what + "'")) {
      String key = scalar(tuple.getKeyNode(), what + " name");
      out.put(key, path(tuple.getValueNode(), what + "." + key));
    }
    return Collections.unmodifiableMap(out);
  }

  private Map<String, String> stringMap(Node node, String what) {
    Map<String, String> out = new LinkedHashMap<>();
    for (NodeTuple tuple : entries(node, "'" + what + "'")) {
      out.put(scalar(tuple.getKeyNode(), what + " key"),
          scalar(tuple.getValueNode(), what + " value"));
    }
    return Collections.unmodifiableMap(out);
  }

  /** A path, or a list of paths (the first with a value wins). */
  private FieldPath path(Node node, String what) {
    List<String> written = new ArrayList<>();
    for (Node n : items(node)) {
      written.add(scalar(n, what));
    }
    if (written.isEmpty()) {
      throw error(node, "'" + what + "' must name at least one path");
    }
    try {
      return FieldPath.of(written);
    } catch (IllegalArgumentException e) {
      throw error(node, "'" + what + "': " + e.getMessage());
    }
  }

  private List<Node> items(Node node) {
    if (node instanceof SequenceNode list) {
      return list.getValue();
    }
    return List.of(node);
  }

  private List<NodeTuple> entries(Node node, String what) {
    if (!(node instanceof MappingNode map)) {
      throw error(node, what + " must be a mapping of names to paths");
    }
    Set<String> seen = new java.util.HashSet<>();
    for (NodeTuple tuple : map.getValue()) {
      String key = scalar(tuple.getKeyNode(), "key");
      if (!seen.add(key)) {
        throw error(tuple.getKeyNode(), "'" + key + "' is named twice in " + what);
      }
    }
    return map.getValue();
  }

  private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
    return yaml.mapping(node, what, allowed);
  }

  private Node require(Map<String, Node> map, String key, Node parent, String what) {
    return yaml.require(map, key, parent, what);
  }

  private String scalar(Node node, String key) {
    return yaml.scalar(node, key);
  }

  private String scalarOrEmpty(Node node) {
    if (!(node instanceof ScalarNode scalar)) {
      throw error(node, "'prefix' must be text");
    }
    return scalar.getValue();
  }

  private InvalidMappingException error(Node node, String problem) {
    Mark mark = node.getStartMark();
    return new InvalidMappingException(file, mark.getLine() + 1, mark.getColumn() + 1,
        problem);
  }
}
