package newsmon.es.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicStemFilter;
import org.apache.lucene.analysis.bg.BulgarianStemFilter;
import org.apache.lucene.analysis.bn.BengaliStemFilter;
import org.apache.lucene.analysis.br.BrazilianStemFilter;
import org.apache.lucene.analysis.ckb.SoraniStemFilter;
import org.apache.lucene.analysis.cz.CzechStemFilter;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.el.GreekStemFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.es.SpanishLightStemFilter;
import org.apache.lucene.analysis.es.SpanishPluralStemFilter;
import org.apache.lucene.analysis.fa.PersianStemFilter;
import org.apache.lucene.analysis.fi.FinnishLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchMinimalStemFilter;
import org.apache.lucene.analysis.gl.GalicianMinimalStemFilter;
import org.apache.lucene.analysis.gl.GalicianStemFilter;
import org.apache.lucene.analysis.hi.HindiStemFilter;
import org.apache.lucene.analysis.hu.HungarianLightStemFilter;
import org.apache.lucene.analysis.id.IndonesianStemFilter;
import org.apache.lucene.analysis.it.ItalianLightStemFilter;
import org.apache.lucene.analysis.lv.LatvianStemFilter;
import org.apache.lucene.analysis.no.NorwegianLightStemFilter;
import org.apache.lucene.analysis.no.NorwegianLightStemmer;
import org.apache.lucene.analysis.no.NorwegianMinimalStemFilter;
import org.apache.lucene.analysis.pt.PortugueseLightStemFilter;
import org.apache.lucene.analysis.pt.PortugueseMinimalStemFilter;
import org.apache.lucene.analysis.pt.PortugueseStemFilter;
import org.apache.lucene.analysis.ru.RussianLightStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.sv.SwedishLightStemFilter;
import org.tartarus.snowball.SnowballStemmer;
import org.tartarus.snowball.ext.ArmenianStemmer;
import org.tartarus.snowball.ext.BasqueStemmer;
import org.tartarus.snowball.ext.CatalanStemmer;
import org.tartarus.snowball.ext.DanishStemmer;
import org.tartarus.snowball.ext.DutchStemmer;
import org.tartarus.snowball.ext.EnglishStemmer;
import org.tartarus.snowball.ext.EstonianStemmer;
import org.tartarus.snowball.ext.FinnishStemmer;
import org.tartarus.snowball.ext.FrenchStemmer;
import org.tartarus.snowball.ext.German2Stemmer;
import org.tartarus.snowball.ext.GermanStemmer;
import org.tartarus.snowball.ext.HungarianStemmer;
import org.tartarus.snowball.ext.IrishStemmer;
import org.tartarus.snowball.ext.ItalianStemmer;
import org.tartarus.snowball.ext.KpStemmer;
import org.tartarus.snowball.ext.LithuanianStemmer;
import org.tartarus.snowball.ext.LovinsStemmer;
import org.tartarus.snowball.ext.NorwegianStemmer;
import org.tartarus.snowball.ext.PortugueseStemmer;
import org.tartarus.snowball.ext.RomanianStemmer;
import org.tartarus.snowball.ext.RussianStemmer;
import org.tartarus.snowball.ext.SerbianStemmer;
import org.tartarus.snowball.ext.SpanishStemmer;
import org.tartarus.snowball.ext.SwedishStemmer;
import org.tartarus.snowball.ext.TurkishStemmer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code language} values of the {@code stemmer} token filter, mapped to the Lucene filter that
 * analysis-common uses for each (a Snowball stemmer for the plain language name, the Savoy "light"
 * and "minimal" stemmers for the {@code light_}/{@code minimal_} names). Names are matched without
 * regard to case; the camelCase spellings analysis-common accepts ({@code lightEnglish}) are
 * registered too.
 */
final class Stemmers {
    private Stemmers() {}

    private static final Map<String, Function<TokenStream, TokenStream>> BY_NAME = new HashMap<>();

    /** The first spelling of each language, for error messages. */
    private static final Set<String> CANONICAL = new TreeSet<>();

    private static void add(Function<TokenStream, TokenStream> filter, String... names) {
        CANONICAL.add(names[0]);
        for (String name : names) {
            if (BY_NAME.put(name.toLowerCase(Locale.ROOT), filter) != null) {
                throw new IllegalStateException("stemmer language registered twice: " + name);
            }
        }
    }

    private static void snowball(Supplier<SnowballStemmer> stemmer, String... names) {
        add(in -> new SnowballFilter(in, stemmer.get()), names);
    }

    static {
        add(ArabicStemFilter::new, "arabic");
        snowball(ArmenianStemmer::new, "armenian");
        snowball(BasqueStemmer::new, "basque");
        add(BengaliStemFilter::new, "bengali");
        add(BrazilianStemFilter::new, "brazilian");
        add(BulgarianStemFilter::new, "bulgarian");
        snowball(CatalanStemmer::new, "catalan");
        add(CzechStemFilter::new, "czech");
        snowball(DanishStemmer::new, "danish");

        snowball(DutchStemmer::new, "dutch");
        snowball(KpStemmer::new, "dutch_kp", "dutchKp", "kp");

        add(PorterStemFilter::new, "english", "porter");
        add(KStemFilter::new, "light_english", "lightEnglish", "kstem");
        snowball(LovinsStemmer::new, "lovins");
        snowball(EnglishStemmer::new, "porter2");
        add(EnglishMinimalStemFilter::new, "minimal_english", "minimalEnglish");
        add(EnglishPossessiveFilter::new, "possessive_english", "possessiveEnglish");

        snowball(EstonianStemmer::new, "estonian");

        snowball(FinnishStemmer::new, "finnish");
        add(FinnishLightStemFilter::new, "light_finnish", "lightFinnish", "light_finish", "lightFinish");

        snowball(FrenchStemmer::new, "french");
        add(FrenchLightStemFilter::new, "light_french", "lightFrench");
        add(FrenchMinimalStemFilter::new, "minimal_french", "minimalFrench");

        add(GalicianStemFilter::new, "galician");
        add(GalicianMinimalStemFilter::new, "minimal_galician");

        snowball(GermanStemmer::new, "german");
        snowball(German2Stemmer::new, "german2");
        add(GermanLightStemFilter::new, "light_german", "lightGerman");
        add(GermanMinimalStemFilter::new, "minimal_german", "minimalGerman");

        add(GreekStemFilter::new, "greek");
        add(HindiStemFilter::new, "hindi");

        snowball(HungarianStemmer::new, "hungarian");
        add(HungarianLightStemFilter::new, "light_hungarian", "lightHungarian");

        add(IndonesianStemFilter::new, "indonesian");
        snowball(IrishStemmer::new, "irish");

        snowball(ItalianStemmer::new, "italian");
        add(ItalianLightStemFilter::new, "light_italian", "lightItalian");

        add(LatvianStemFilter::new, "latvian");
        snowball(LithuanianStemmer::new, "lithuanian");

        snowball(NorwegianStemmer::new, "norwegian");
        add(NorwegianLightStemFilter::new, "light_norwegian", "lightNorwegian");
        add(NorwegianMinimalStemFilter::new, "minimal_norwegian", "minimalNorwegian");
        add(in -> new NorwegianLightStemFilter(in, NorwegianLightStemmer.NYNORSK), "light_nynorsk", "lightNynorsk");
        add(in -> new NorwegianMinimalStemFilter(in, NorwegianLightStemmer.NYNORSK), "minimal_nynorsk", "minimalNynorsk");

        add(PersianStemFilter::new, "persian");

        snowball(PortugueseStemmer::new, "portuguese");
        add(PortugueseLightStemFilter::new, "light_portuguese", "lightPortuguese");
        add(PortugueseMinimalStemFilter::new, "minimal_portuguese", "minimalPortuguese");
        add(PortugueseStemFilter::new, "portuguese_rslp");

        snowball(RomanianStemmer::new, "romanian");

        snowball(RussianStemmer::new, "russian");
        add(RussianLightStemFilter::new, "light_russian", "lightRussian");

        snowball(SerbianStemmer::new, "serbian");

        snowball(SpanishStemmer::new, "spanish");
        add(SpanishLightStemFilter::new, "light_spanish", "lightSpanish");
        add(SpanishPluralStemFilter::new, "spanish_plural");

        add(SoraniStemFilter::new, "sorani");

        snowball(SwedishStemmer::new, "swedish");
        add(SwedishLightStemFilter::new, "light_swedish", "lightSwedish");

        snowball(TurkishStemmer::new, "turkish");
    }

    /** The filter for a {@code language} value; an unknown value is an error that lists the known ones. */
    static Function<TokenStream, TokenStream> forLanguage(String language) {
        Function<TokenStream, TokenStream> filter = BY_NAME.get(language.toLowerCase(Locale.ROOT));
        if (filter == null) {
            throw new IllegalArgumentException("unknown stemmer language [" + language + "]; known: " + CANONICAL);
        }
        return filter;
    }
}
