package newsmon.es;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.Node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One Elasticsearch node on 127.0.0.1, started in-process from the server jars on the module path.
 *
 * <p>Elastic's own launcher (server-cli) is not published to Maven Central, and the server's
 * bootstrap expects to be handed its arguments by it, so this class builds the {@link Node}
 * directly, as embedded test clusters do. Modules (transport-netty4) load from
 * {@code <home>/modules}, plugins (newsmon-analysis) from {@code <home>/plugins}.
 *
 * <p>Usage: {@code LocalNode HOME HTTP_PORT [options]}. Without options: a single-node cluster
 * ({@code discovery.type=single-node}) named {@code newsmon-local}, transport on HTTP_PORT+100,
 * data and logs in {@code HOME/../data} and {@code HOME/../logs}, as before. Options:
 * <pre>
 *   --name NAME              node name (default newsmon-local)
 *   --transport-port PORT    transport port (default HTTP_PORT+100)
 *   --data DIR, --logs DIR   path.data and path.logs
 *   --seed-hosts H:P,H:P     discovery.seed_hosts: join a multi-node cluster instead of single-node
 *   --initial-masters A,B    cluster.initial_master_nodes (first formation of a new cluster only)
 *   --repo DIR               path.repo: where filesystem snapshot repositories may live (every node
 *                            of a cluster must name the same shared folder)
 * </pre>
 */
public final class LocalNode {
    private LocalNode() {}

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println(
            "usage: LocalNode HOME HTTP_PORT [--name NAME] [--transport-port PORT] [--data DIR] [--logs DIR]"
                + " [--seed-hosts HOST:PORT,...] [--initial-masters NAME,...] [--repo DIR]"
        );
        System.exit(2);
    }

    private static List<String> csv(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (item.isBlank() == false) {
                items.add(item.trim());
            }
        }
        return items;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            usage("HOME and HTTP_PORT are required");
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int httpPort = Integer.parseInt(args[1]);
        Map<String, String> options = new HashMap<>();
        for (int i = 2; i < args.length; i += 2) {
            String key = args[i];
            if (List.of("--name", "--transport-port", "--data", "--logs", "--seed-hosts", "--initial-masters", "--repo").contains(key) == false) {
                usage("unknown option " + key);
            }
            if (i + 1 >= args.length) {
                usage(key + " needs a value");
            }
            options.put(key, args[i + 1]);
        }
        String nodeName = options.getOrDefault("--name", "newsmon-local");
        int transportPort = Integer.parseInt(options.getOrDefault("--transport-port", String.valueOf(httpPort + 100)));
        Path data = Path.of(options.getOrDefault("--data", home.resolve("../data").toString())).toAbsolutePath().normalize();
        Path logs = Path.of(options.getOrDefault("--logs", home.resolve("../logs").toString())).toAbsolutePath().normalize();
        Files.createDirectories(data);
        Files.createDirectories(logs);

        Settings.Builder builder = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", "newsmon-local")
            .put("node.name", nodeName)
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            // A laptop disk that is 90% full must not turn the indices read-only under a developer.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false);
        if (options.containsKey("--repo")) {
            Path repo = Path.of(options.get("--repo")).toAbsolutePath().normalize();
            Files.createDirectories(repo);
            builder.putList("path.repo", List.of(repo.toString()));
        }
        if (options.containsKey("--seed-hosts")) {
            builder.putList("discovery.seed_hosts", csv(options.get("--seed-hosts")));
            if (options.containsKey("--initial-masters")) {
                builder.putList("cluster.initial_master_nodes", csv(options.get("--initial-masters")));
            }
        } else {
            builder.put("discovery.type", "single-node");
        }
        Settings settings = builder.build();

        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        Node node = new Node(new Environment(settings, home.resolve("config")));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "newsmon-es-shutdown"));
        node.start();
        System.out.println("newsmon local Elasticsearch node " + nodeName + " started on http://127.0.0.1:" + httpPort);
        closed.await();
    }
}
