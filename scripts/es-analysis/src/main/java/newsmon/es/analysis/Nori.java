package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ko.KoreanAnalyzer;
import org.apache.lucene.analysis.ko.KoreanNumberFilter;
import org.apache.lucene.analysis.ko.KoreanPartOfSpeechStopFilter;
import org.apache.lucene.analysis.ko.KoreanReadingFormFilter;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.ko.POS;
import org.apache.lucene.analysis.ko.dict.UserDictionary;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.io.IOException;
import java.io.Reader;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Korean, as Elastic's analysis-nori plugin registers it, on Lucene's nori module (its mecab-ko-dic
 * dictionary ships in the jar).
 *
 * <ul>
 *   <li>analyzer {@code nori}: {@code decompound_mode} ({@code discard}, {@code none} or
 *       {@code mixed}; default {@code discard}), {@code user_dictionary} /
 *       {@code user_dictionary_rules}, {@code stoptags} (default: Lucene's, which drop particles
 *       {@code J}, endings {@code E} and affixes); Hanja read as Hangul, lower case;
 *   <li>tokenizer {@code nori_tokenizer}: {@code decompound_mode}, {@code discard_punctuation}
 *       (true), the user dictionary settings;
 *   <li>filters {@code nori_part_of_speech} ({@code stoptags}), {@code nori_readingform},
 *       {@code nori_number}.
 * </ul>
 */
final class Nori {
    private Nori() {}

    static KoreanTokenizer.DecompoundMode decompoundMode(Settings settings) {
        return KoreanTokenizer.DecompoundMode.valueOf(
            settings.get("decompound_mode", KoreanTokenizer.DEFAULT_DECOMPOUND.name()).toUpperCase(Locale.ROOT)
        );
    }

    static UserDictionary userDictionary(Environment env, Settings settings) {
        Reader rules = UserDictionaries.rules(env, settings);
        if (rules == null) {
            return null;
        }
        try (rules) {
            return UserDictionary.open(rules);
        } catch (IOException e) {
            throw new IllegalArgumentException("failed to load the nori user dictionary", e);
        }
    }

    static Set<POS.Tag> stopTags(Environment env, Settings settings) {
        List<String> tags = Analysis.getWordList(env, settings, "stoptags");
        if (tags == null) {
            return KoreanPartOfSpeechStopFilter.DEFAULT_STOP_TAGS;
        }
        Set<POS.Tag> out = new HashSet<>();
        for (String tag : tags) {
            out.add(POS.resolveTag(tag));
        }
        return out;
    }

    static void analyzers(Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> out) {
        out.put(
            "nori",
            (indexSettings, env, name, settings) -> Factories.analyzer(
                name, settings, new KoreanAnalyzer(userDictionary(env, settings), decompoundMode(settings), stopTags(env, settings), false)
            )
        );
    }

    static void tokenizers(Map<String, AnalysisProvider<TokenizerFactory>> out) {
        out.put("nori_tokenizer", (indexSettings, env, name, settings) -> {
            UserDictionary dictionary = userDictionary(env, settings);
            KoreanTokenizer.DecompoundMode mode = decompoundMode(settings);
            boolean discardPunctuation = settings.getAsBoolean("discard_punctuation", true);
            return TokenizerFactory.newFactory(
                name,
                () -> new KoreanTokenizer(KoreanTokenizer.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, dictionary, mode, false, discardPunctuation)
            );
        });
    }

    static void filters(Map<String, AnalysisProvider<TokenFilterFactory>> out) {
        out.put("nori_part_of_speech", (indexSettings, env, name, settings) -> {
            Set<POS.Tag> tags = stopTags(env, settings);
            return new Factories.Plain(name, settings, in -> new KoreanPartOfSpeechStopFilter(in, tags));
        });
        out.put("nori_readingform", (indexSettings, env, name, settings) -> new Factories.Plain(name, settings, KoreanReadingFormFilter::new));
        out.put("nori_number", (indexSettings, env, name, settings) -> new Factories.Plain(name, settings, KoreanNumberFilter::new));
    }
}
