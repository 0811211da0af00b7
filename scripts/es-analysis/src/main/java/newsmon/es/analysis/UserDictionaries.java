package newsmon.es.analysis;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.Analysis;

import java.io.Reader;
import java.io.StringReader;
import java.util.List;

/** The user dictionary of kuromoji and nori: a file ({@code user_dictionary}) or inline rules. */
final class UserDictionaries {
    private UserDictionaries() {}

    static final String PATH = "user_dictionary";
    static final String RULES = "user_dictionary_rules";

    /** The dictionary's lines as a reader, or null when the settings name none. */
    static Reader rules(Environment env, Settings settings) {
        if (settings.get(PATH) != null && settings.get(RULES) != null) {
            throw new IllegalArgumentException("It is not allowed to use [" + PATH + "] in conjunction with [" + RULES + "]");
        }
        List<String> lines = Analysis.getWordList(env, settings, PATH, RULES, true);
        if (lines == null || lines.isEmpty()) {
            return null;
        }
        return new StringReader(String.join("\n", lines) + "\n");
    }
}
