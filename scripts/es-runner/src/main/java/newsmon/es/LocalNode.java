package newsmon.es;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.Node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * One Elasticsearch node on 127.0.0.1, started in-process from the server jars on the module path.
 *
 * <p>Elastic's own launcher (server-cli) is not published to Maven Central, and the server's
 * bootstrap expects to be handed its arguments by it, so this class builds the {@link Node}
 * directly, as embedded test clusters do. Modules (transport-netty4) load from
 * {@code <home>/modules}. Usage: {@code LocalNode HOME HTTP_PORT}.
 */
public final class LocalNode {
    private LocalNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: LocalNode HOME HTTP_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int httpPort = Integer.parseInt(args[1]);
        Path data = home.resolve("../data").normalize();
        Path logs = home.resolve("../logs").normalize();
        Files.createDirectories(data);
        Files.createDirectories(logs);

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", "newsmon-local")
            .put("node.name", "newsmon-local")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", httpPort + 100)
            .put("discovery.type", "single-node")
            // A laptop disk that is 90% full must not turn the indices read-only under a developer.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false)
            .build();

        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("newsmon-local");
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
        System.out.println("newsmon local Elasticsearch started on http://127.0.0.1:" + httpPort);
        closed.await();
    }
}
