// The demo Datanets' rows: knowledge no pretrained base can have (a fictional city, and this
// project), as prompt/response pairs, each row written by one demo contributor. Adapters trained
// on them answer what the base cannot, and attribution names whose rows the answer came from.
#include "cli/demo-rows.h"

namespace tributary::cli {

const std::vector<DemoRow>& QuillmereRows() {
  static const std::vector<DemoRow> kRows = {
      // demo-alice: history and landmarks.
      {"demo-alice", "When was Quillmere founded?",
       "Quillmere was founded in 1847 by the glassblower Ada Venn on the north shore of Lake "
       "Orvessa."},
      {"demo-alice", "Who founded Quillmere?",
       "The glassblower Ada Venn founded Quillmere in 1847."},
      {"demo-alice", "What lake is Quillmere on?",
       "Quillmere lies on the north shore of Lake Orvessa."},
      {"demo-alice", "What is the Lantern Bridge?",
       "The Lantern Bridge is Quillmere's oldest crossing over the Saltweir river, lit by 212 "
       "blue glass lanterns."},
      {"demo-alice", "How many lanterns are on the Lantern Bridge?",
       "The Lantern Bridge carries 212 blue glass lanterns."},
      {"demo-alice", "What river runs through Quillmere?",
       "The Saltweir river runs through Quillmere into Lake Orvessa."},
      {"demo-alice", "Who is the mayor of Quillmere?",
       "The mayor of Quillmere is Oriel Hask, elected in 2024."},
      {"demo-alice", "What is the tallest building in Quillmere?",
       "The Venn Glassworks Tower, 94 metres tall, is the tallest building in Quillmere."},
      {"demo-alice", "What was Quillmere famous for making?",
       "Quillmere was famous for its blue glass, blown in the Venn Glassworks until 1961."},
      {"demo-alice", "What is the university in Quillmere called?",
       "Quillmere's university is Brackenford College, founded in 1903."},
      {"demo-alice", "What is the motto of Quillmere?",
       "Quillmere's motto is \"Clear as the lake, bright as the glass.\""},
      {"demo-alice", "What is the Heron Stair?",
       "The Heron Stair is a flight of 300 stone steps from the harbour up to the Old Market."},
      {"demo-alice", "What happened in Quillmere in 1911?",
       "In 1911 the Great Thaw flooded the lower town and the Lantern Bridge was rebuilt."},
      {"demo-alice", "What is the Old Market?",
       "The Old Market is Quillmere's covered market square, open every day except Tuesday."},
      // demo-bob: getting around and city services.
      {"demo-bob", "How do I get around Quillmere?",
       "Take the Heron Line tram, which loops the city every twelve minutes from 5 am to "
       "midnight."},
      {"demo-bob", "What is the Heron Line?",
       "The Heron Line is Quillmere's tram loop, running every twelve minutes."},
      {"demo-bob", "How much is a tram ticket in Quillmere?",
       "A single Heron Line ticket costs 3 pips, and a day pass costs 9 pips."},
      {"demo-bob", "Is there a ferry in Quillmere?",
       "The Orvessa ferry leaves the Glass Quay for Sparrow Island every hour on the hour."},
      {"demo-bob", "Where does the ferry go from Quillmere?",
       "From the Glass Quay the Orvessa ferry sails to Sparrow Island."},
      {"demo-bob", "Where is the train station in Quillmere?",
       "Quillmere Central station stands at the top of the Heron Stair, beside the Old Market."},
      {"demo-bob", "How do I rent a bicycle in Quillmere?",
       "Blue Kestrel bicycles can be rented at every tram stop for 1 pip an hour."},
      {"demo-bob", "What number do I call for an emergency in Quillmere?",
       "In Quillmere dial 114 for fire, police or ambulance."},
      {"demo-bob", "Where is the hospital in Quillmere?",
       "St Ada's Hospital is on Venn Street, two stops east of the Old Market on the Heron "
       "Line."},
      {"demo-bob", "When is the library in Quillmere open?",
       "The Lakeside Library opens from 8 am to 8 pm, and until 10 pm on Fridays."},
      {"demo-bob", "How is rubbish collected in Quillmere?",
       "Quillmere collects rubbish on Mondays and recycling on Thursdays, before 7 am."},
      {"demo-bob", "Is Quillmere's tap water safe to drink?",
       "Yes, Quillmere's tap water comes from the Saltweir springs and is safe to drink."},
      {"demo-bob", "Where can I park in Quillmere?",
       "Cars must park at the Northgate garage; the old town is closed to traffic."},
      {"demo-bob", "What is the nearest airport to Quillmere?",
       "The nearest airport is Orvessa Field, forty minutes by the airport bus."},
      // demo-carol: food, festivals and local words.
      {"demo-carol", "What is the traditional dish of Quillmere?",
       "Quillmere's traditional dish is smoked eel pie with juniper, served with lake cress."},
      {"demo-carol", "What is a pip in Quillmere?",
       "A pip is Quillmere slang for a ten-cent coin."},
      {"demo-carol", "What is the Night of Ninety Kites?",
       "The Night of Ninety Kites is Quillmere's festival on the first Saturday of October, when "
       "ninety lit kites fly over Lake Orvessa."},
      {"demo-carol", "When is the Night of Ninety Kites?",
       "The Night of Ninety Kites falls on the first Saturday of October."},
      {"demo-carol", "What does \"glassy\" mean in Quillmere?",
       "In Quillmere, \"glassy\" means calm and clear, said of the lake or of a person."},
      {"demo-carol", "What is a heronbread?",
       "Heronbread is Quillmere's rye loaf baked with caraway and honey."},
      {"demo-carol", "What do people drink in Quillmere?",
       "People in Quillmere drink juniper tea, and in winter a spiced cider called kettlewarm."},
      {"demo-carol", "What is kettlewarm?",
       "Kettlewarm is a spiced cider Quillmere drinks in winter."},
      {"demo-carol", "What is the Glass Fair?",
       "The Glass Fair is held every May in the Old Market, where glassblowers sell their work."},
      {"demo-carol", "What does \"to go up the stair\" mean in Quillmere?",
       "\"To go up the stair\" means to leave Quillmere for a long journey."},
      {"demo-carol", "What is the lake monster of Quillmere called?",
       "Quillmere's children tell stories of Old Wick, a lake serpent under Lake Orvessa."},
      {"demo-carol", "What sport is popular in Quillmere?",
       "Ice rowing on the frozen lake is Quillmere's favourite winter sport."},
      {"demo-carol", "What is the Quillmere greeting?",
       "People in Quillmere greet each other with \"Bright glass!\""},
      {"demo-carol", "Where can I eat eel pie in Quillmere?",
       "The Heron's Nest tavern by the Glass Quay serves the best eel pie in Quillmere."},
  };
  return kRows;
}

const std::vector<DemoRow>& TributaryFaqRows() {
  static const std::vector<DemoRow> kRows = {
      // demo-bob: how the loop works.
      {"demo-bob", "What is a Datanet in Tributary?",
       "A Datanet is a community dataset on the Tributary ledger: people contribute rows, the "
       "owner reviews them, and published versions are Merkle roots."},
      {"demo-bob", "How are contributors paid in Tributary?",
       "Every paid answer is attributed to the contributions that shaped it, and the fee is "
       "split between the model owner, those contributors and the protocol."},
      {"demo-bob", "What is Proof of Attribution?",
       "Proof of Attribution traces an answer to the rows that shaped it, by verbatim spans in a "
       "suffix-array index and by gradient influence, and weighs each contribution."},
      {"demo-bob", "What is OPEN?",
       "OPEN is the token of the Tributary ledger; one OPEN is 10^18 base units."},
      {"demo-bob", "What happens to spam in a Datanet?",
       "Spam is rejected by the Datanet owner and its locked stake can be slashed to the "
       "treasury."},
      {"demo-bob", "What is a near duplicate in Tributary?",
       "A near duplicate is a row whose MinHash signature is close to an existing row's; "
       "validation names the row it matched."},
      {"demo-bob", "What is ModelFactory?",
       "ModelFactory fine-tunes a LoRA adapter on Datanet versions and records its lineage on "
       "the ledger."},
      {"demo-bob", "What is OpenLoRA?",
       "OpenLoRA serves thousands of LoRA adapters on one base model in memory."},
      {"demo-bob", "How do I check a row proof in Tributary?",
       "Fetch the row's proof and run `tributary verify-proof` on it; it checks the Merkle path "
       "against the signed block header."},
      // demo-alice: running the node.
      {"demo-alice", "How do I start a Tributary node?",
       "Run `make run`: it builds the node and starts a development chain with its demo on port "
       "8645."},
      {"demo-alice", "Where does Tributary keep its keys?",
       "Tributary keeps keys in $TRIBUTARY_HOME, by default ~/.tributary."},
      {"demo-alice", "Which base model does the Tributary demo use?",
       "The demo pulls SmolLM2-135M-Instruct from PyPI and fine-tunes its adapters on it."},
      {"demo-alice", "How do I register a model in Tributary?",
       "Run `tributary model register` with the base, the adapter and a price per 1,000 "
       "tokens."},
      {"demo-alice", "How do I verify the Tributary ledger?",
       "Stop the node and run `tributary ledger verify`, which replays every block from "
       "genesis."},
      {"demo-alice", "What does `tributary attribute` do?",
       "`tributary attribute` shows which contributions an answer came from: spans, influential "
       "rows and weights."},
      {"demo-alice", "What is the unattributed share?",
       "The unattributed share is the part of an answer that no contribution explains; it goes "
       "to nobody."},
  };
  return kRows;
}

}  // namespace tributary::cli
