import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A hostile stand-in for HubSpot and Klaviyo for run-on-local-cluster.sh's secret check: it
 * refuses every request with 401 and an answer that repeats the request's Authorization header
 * (so a sink that failed to redact would write the token into its dead letters), and counts the
 * requests per vendor, and those that carried the expected token, into a stats file (counts
 * only, never a header). Run with the JDK's source launcher:
 *
 * <pre>
 * java FakeVendor.java PORT_FILE STATS_FILE HUBSPOT_TOKEN_FILE KLAVIYO_TOKEN_VARIABLE
 * </pre>
 */
public final class FakeVendor {
  public static void main(String[] args) throws IOException {
    Path portFile = Path.of(args[0]);
    Path statsFile = Path.of(args[1]);
    String hubspot = Files.readString(Path.of(args[2])).strip();
    String klaviyo = System.getenv(args[3]);
    Map<String, int[]> stats = new TreeMap<>(); // vendor: {requests, with the expected token}
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      try (InputStream body = exchange.getRequestBody()) {
        body.readAllBytes();
      }
      String path = exchange.getRequestURI().getPath();
      String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
      String vendor = path.startsWith("/crm/") ? "hubspot" : path.startsWith("/api/")
          ? "klaviyo" : "other";
      String expected = vendor.equals("hubspot") ? "Bearer " + hubspot
          : vendor.equals("klaviyo") ? "Klaviyo-API-Key " + klaviyo : null;
      synchronized (stats) {
        int[] counts = stats.computeIfAbsent(vendor, key -> new int[2]);
        counts[0]++;
        if (auth.equals(expected)) {
          counts[1]++;
        }
        StringBuilder text = new StringBuilder();
        stats.forEach((name, c) -> text.append(name).append(" requests=").append(c[0])
            .append(" authorized=").append(c[1]).append('\n'));
        Files.writeString(statsFile, text);
      }
      String quoted = auth.replace("\\", "\\\\").replace("\"", "\\\"");
      byte[] answer = ("{\"status\":\"error\",\"category\":\"INVALID_AUTHENTICATION\","
          + "\"message\":\"Authentication failed for '" + quoted + "'\",\"errors\":[{\"detail\":"
          + "\"Authentication failed for '" + quoted + "'\"}]}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(401, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
    Files.writeString(portFile, String.valueOf(server.getAddress().getPort()));
  }
}
