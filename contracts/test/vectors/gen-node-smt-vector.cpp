// Generates node-smt-vector.json: a state root and membership proofs computed by the node's own
// State/SparseMerkleTree code, which the contract tests check the JS tree (lib/smt.js) and the
// Solidity SparseMerkleProof library against. Not part of any build; rerun by hand if the node's
// tree format ever changes (it must not without a new contract):
//   c++ -std=c++20 -I../../../include gen-node-smt-vector.cpp ../../../build/libtributary_ledger.a \
//       ../../../build/libtributary_base.a $(pkg-config --libs libsodium icu-uc) -lcrypto -o /tmp/gen \
//     && /tmp/gen > node-smt-vector.json
// Entries: withdrawal records "B" || u64 id -> abi.encode(address(0x10*id repeated), id * 1000000007)
// for ids 1..6, plus two unrelated keys, so paths include empty siblings.
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include "tributary/ledger/state.h"
#include "tributary/base/bytes.h"
using namespace tributary;
static std::string U64BE(uint64_t v){ std::string s(8,'\0'); for(int i=7;i>=0;--i){ s[i]=char(v&0xff); v>>=8;} return s; }
static Bytes AbiAddrAmount(uint8_t fill, uint64_t amountLow){ Bytes b(64,0); for(int i=12;i<32;++i) b[i]=fill; uint64_t a=amountLow; for(int i=63;i>=56;--i){ b[i]=a&0xff; a>>=8;} return b; }
int main(){
  State st; std::map<std::string, std::optional<Bytes>> w; std::map<std::string, Bytes> kv;
  for (uint64_t id=1; id<=6; ++id){ std::string k="B"+U64BE(id); Bytes v=AbiAddrAmount(uint8_t(0x10*id), id*1000000007ull); w[k]=v; kv[k]=v; }
  std::string a = "a" + std::string(20, '\xaa'); Bytes av={1,2,3}; w[a]=av; kv[a]=av;
  std::string x = "Xfee"; Bytes xv={9}; w[x]=xv; kv[x]=xv;
  st.Apply(w);
  Hash32 root = st.Root();
  printf("{\n  \"root\": \"0x%s\",\n  \"entries\": [\n", ToHex(root).c_str());
  bool first=true;
  for (auto& [k,v] : kv){ SmtProof p = st.Prove(k);
    printf("%s    {\"key\": \"0x%s\", \"value\": \"0x%s\", \"siblings\": [", first?"":",\n", ToHex(ByteView((const uint8_t*)k.data(), k.size())).c_str(), ToHex(ByteView(v.data(), v.size())).c_str());
    for (size_t i=0;i<p.siblings.size();++i) printf("%s\"0x%s\"", i?", ":"", ToHex(p.siblings[i]).c_str());
    printf("]}"); first=false; }
  printf("\n  ]\n}\n");
}
