package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.uk.UkrainianMorfologikAnalyzer;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.util.Map;

/**
 * Ukrainian, as Elastic's analysis-ukrainian plugin registers it: the {@code ukrainian} analyzer,
 * Lucene's UkrainianMorfologikAnalyzer (lemmas from the morfologik dictionary of
 * ua.net.nlp:morfologik-ukrainian-search, read from the classpath; apostrophe and stress marks
 * normalised), with {@code stopwords} and {@code stem_exclusion}.
 */
final class Ukrainian {
    private Ukrainian() {}

    static void analyzers(Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> out) {
        out.put("ukrainian", (indexSettings, env, name, settings) -> {
            CharArraySet stop = Analysis.parseStopWords(env, settings, UkrainianMorfologikAnalyzer.getDefaultStopwords());
            CharArraySet exclusion = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
            return Factories.analyzer(name, settings, new UkrainianMorfologikAnalyzer(stop, exclusion));
        });
    }
}
