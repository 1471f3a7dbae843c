// Starts Neo4j Community as a standalone process serving Bolt on loopback.
// Run in Java's single-file source mode by hub.neo4j_local.server:
//   java -Xmx.. -cp "<lib>/*" Launcher.java <home> <neo4j.conf> <password-file>
// On the first start of a fresh home the initial password is set while Bolt is still
// closed, so the default neo4j/neo4j credentials are never reachable over the network.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path conf = Path.of(args[1]);
        String password = Files.readString(Path.of(args[2])).trim();
        Path marker = home.resolve("password-set");
        if (!Files.exists(marker)) {
            DatabaseManagementService setup = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, false)
                .build();
            setup.database("system").executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", Map.of("p", password));
            setup.shutdown();
            Files.writeString(marker, "ok\n");
        }
        DatabaseManagementService service = new DatabaseManagementServiceBuilder(home)
            .loadPropertiesFromFile(conf)
            .setConfig(BoltConnector.enabled, true)
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown));
        System.out.println("NEO4J_READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
