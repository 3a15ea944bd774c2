package dev.audiencesegmenter.segments;

import com.google.protobuf.Timestamp;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelBuilder;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelVariableResolver;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.ReadableInstant;

/**
 * The variables a segment condition can use: one per column of the feature schema, by its
 * snake_case name, with the CEL type of the column (INT64 and INT32 as {@code int}, DECIMAL
 * and DOUBLE as {@code double}, BOOLEAN as {@code bool}, STRING as {@code string}, DATETIME as
 * {@code timestamp}, a map of strings as {@code map(string, string)}). A nullable column may
 * be null for a customer: a comparison that meets a null is an evaluation error, and the
 * customer is not a member (write
 * {@code recency_days != null && recency_days > 90} to say it outright).
 */
final class FeatureVariables {
  private FeatureVariables() {}

  /** {@code distance_km(lat1, lon1, lat2, lon2)}: great-circle distance, for geo segments. */
  static final String DISTANCE_KM = "distance_km";

  static Cel environment(Schema schema) {
    return environment(schema, Map.of());
  }

  /**
   * With declared trait types, {@code traits} is a map of dynamic values: the typed traits
   * are numbers or booleans ({@code traits.age >= 30}), the others text.
   */
  static Cel environment(Schema schema, Map<String, TraitType> traitTypes) {
    CelBuilder builder = CelFactory.standardCelBuilder()
        // has(traits.plan), exists, all, map, filter
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addFunctionDeclarations(CelFunctionDecl.newFunctionDeclaration(DISTANCE_KM,
            CelOverloadDecl.newGlobalOverload("distance_km_doubles", SimpleType.DOUBLE,
                SimpleType.DOUBLE, SimpleType.DOUBLE, SimpleType.DOUBLE, SimpleType.DOUBLE)))
        .addFunctionBindings(CelFunctionBinding.from("distance_km_doubles",
            List.of(Double.class, Double.class, Double.class, Double.class),
            args -> Haversine.km((Double) args[0], (Double) args[1], (Double) args[2],
                (Double) args[3])));
    for (Schema.Field field : schema.getFields()) {
      CelType type = celType(field.getType());
      if (type != null && field.getName().equals(TRAITS) && !traitTypes.isEmpty()) {
        type = MapType.create(SimpleType.STRING, SimpleType.DYN);
      }
      if (type != null) {
        builder.addVar(field.getName(),
            field.getType().getNullable() ? NullableType.create(type) : type);
      }
    }
    return builder.build();
  }

  private static CelType celType(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case BYTE, INT16, INT32, INT64 -> SimpleType.INT;
      case FLOAT, DOUBLE, DECIMAL -> SimpleType.DOUBLE;
      case BOOLEAN -> SimpleType.BOOL;
      case STRING -> SimpleType.STRING;
      case DATETIME -> SimpleType.TIMESTAMP;
      // The profile traits ({@code traits}): traits.plan == "pro", "plan" in traits.
      case MAP -> type.getMapKeyType().getTypeName() == Schema.TypeName.STRING
          && type.getMapValueType().getTypeName() == Schema.TypeName.STRING
          ? MapType.create(SimpleType.STRING, SimpleType.STRING) : null;
      default -> null; // nested rows and other maps are not offered to conditions yet
    };
  }

  /**
   * The activation of one customer, read lazily: a condition reads only the columns it names,
   * each converted once. The same values as {@link #values}, without building them all (and
   * without CEL copying a map per condition).
   */
  static CelVariableResolver resolver(Row row) {
    return new RowResolver(row, Map.of());
  }

  /** {@link #resolver(Row)}, the typed traits as their values. */
  static CelVariableResolver resolver(Row row, Map<String, TraitType> traitTypes) {
    return new RowResolver(row, traitTypes);
  }

  /** The profile traits column, typed by {@link TraitType} when sources declare types. */
  static final String TRAITS = "traits";

  /** Per schema: column name to field index, for the columns conditions can use. */
  private static final Map<Schema, Map<String, Integer>> INDEXES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final class RowResolver implements CelVariableResolver {
    private final Row row;
    private final Map<String, Integer> index;
    private final Object[] converted;
    private final Map<String, TraitType> traitTypes;

    RowResolver(Row row, Map<String, TraitType> traitTypes) {
      this.row = row;
      this.traitTypes = traitTypes;
      Schema schema = row.getSchema();
      this.index = INDEXES.computeIfAbsent(schema, FeatureVariables::index);
      this.converted = new Object[schema.getFieldCount()];
    }

    @Override
    public Optional<Object> find(String name) {
      Integer i = index.get(name);
      if (i == null) {
        return Optional.empty();
      }
      Object v = converted[i];
      if (v == null) {
        Object raw = row.getValue(i);
        v = raw == null ? dev.cel.common.values.NullValue.NULL_VALUE
            : toCel(row.getSchema().getField(i).getType(), raw);
        if (!traitTypes.isEmpty() && name.equals(TRAITS)) {
          v = typed((Map<?, ?>) v, traitTypes);
        }
        converted[i] = v;
      }
      return Optional.of(v);
    }
  }

  /** The traits with the typed ones as numbers or booleans (the readers canonicalized them). */
  private static Map<String, Object> typed(Map<?, ?> traits, Map<String, TraitType> types) {
    Map<String, Object> out = new HashMap<>();
    traits.forEach((k, value) -> {
      TraitType type = types.get((String) k);
      String text = (String) value;
      String canonical = type == null ? null : type.canonical(text);
      // A value that is not of its type (a native profile, say) is left out: no match.
      if (type == null) {
        out.put((String) k, text);
      } else if (canonical != null) {
        out.put((String) k, type.celValue(canonical));
      }
    });
    return out;
  }

  private static Map<String, Integer> index(Schema schema) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < schema.getFieldCount(); i++) {
      if (celType(schema.getField(i).getType()) != null) {
        index.put(schema.getField(i).getName(), i);
      }
    }
    return index;
  }

  private static Object toCel(Schema.FieldType type, Object v) {
    return switch (type.getTypeName()) {
      case BYTE, INT16, INT32, INT64 -> ((Number) v).longValue();
      case FLOAT, DOUBLE -> ((Number) v).doubleValue();
      case DECIMAL -> ((BigDecimal) v).doubleValue();
      case DATETIME -> {
        long millis = ((ReadableInstant) v).getMillis();
        yield Timestamp.newBuilder().setSeconds(Math.floorDiv(millis, 1000))
            .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000).build();
      }
      default -> v;
    };
  }
}
