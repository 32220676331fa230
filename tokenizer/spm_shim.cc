// A thin extern "C" shim over libsentencepiece, so the rest of longweave
// stays C. Every function catches what the library could throw.
#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "tok_internal.h"
}

namespace {
void copy_error(const std::string &msg, char *errbuf, size_t errcap)
{
    if (errbuf && errcap)
        std::snprintf(errbuf, errcap, "%s", msg.c_str());
}
}  // namespace

// A processor loaded by load(sp), or NULL with the library's message.
template <typename Load> void *open_with(Load load, char *errbuf, size_t errcap)
{
    try {
        auto *sp = new sentencepiece::SentencePieceProcessor();
        auto status = load(sp);
        if (!status.ok()) {
            copy_error(status.ToString(), errbuf, errcap);
            delete sp;
            return nullptr;
        }
        return sp;
    } catch (const std::exception &e) {
        copy_error(e.what(), errbuf, errcap);
        return nullptr;
    }
}

extern "C" void *lw_spm_open(const char *path, char *errbuf, size_t errcap)
{
    return open_with([&](sentencepiece::SentencePieceProcessor *sp) { return sp->Load(path); },
                     errbuf, errcap);
}

extern "C" void *lw_spm_open_data(const char *data, size_t size, char *errbuf, size_t errcap)
{
    return open_with(
        [&](sentencepiece::SentencePieceProcessor *sp) {
            return sp->LoadFromSerializedProto(std::string_view(data, size));
        },
        errbuf, errcap);
}

extern "C" void lw_spm_close(void *spm)
{
    delete static_cast<sentencepiece::SentencePieceProcessor *>(spm);
}

extern "C" int lw_spm_encode(const void *spm, const char *text, size_t len, lw_ids *out,
                             char *errbuf, size_t errcap)
{
    try {
        auto *sp = static_cast<const sentencepiece::SentencePieceProcessor *>(spm);
        thread_local std::vector<int> ids; // reused: one allocation per thread
        ids.clear();
        auto status = sp->Encode(std::string_view(text, len), &ids);
        if (!status.ok()) {
            copy_error(status.ToString(), errbuf, errcap);
            return -1;
        }
        for (int id : ids)
            if (lw_ids_push(out, static_cast<uint32_t>(id)))
                return copy_error("out of memory", errbuf, errcap), -1;
        return 0;
    } catch (const std::exception &e) {
        copy_error(e.what(), errbuf, errcap);
        return -1;
    }
}

extern "C" int lw_spm_decode(const void *spm, const uint32_t *ids, size_t n, lw_buf *out,
                             char *errbuf, size_t errcap)
{
    try {
        auto *sp = static_cast<const sentencepiece::SentencePieceProcessor *>(spm);
        std::vector<int> v(ids, ids + n);
        std::string text;
        auto status = sp->Decode(v, &text);
        if (!status.ok()) {
            copy_error(status.ToString(), errbuf, errcap);
            return -1;
        }
        if (lw_buf_append(out, text.data(), text.size()))
            return copy_error("out of memory", errbuf, errcap), -1;
        return 0;
    } catch (const std::exception &e) {
        copy_error(e.what(), errbuf, errcap);
        return -1;
    }
}

extern "C" int lw_spm_vocab_size(const void *spm)
{
    return static_cast<const sentencepiece::SentencePieceProcessor *>(spm)->GetPieceSize();
}

extern "C" const char *lw_spm_id_to_piece(const void *spm, int id, size_t *len)
{
    auto *sp = static_cast<const sentencepiece::SentencePieceProcessor *>(spm);
    if (id < 0 || id >= sp->GetPieceSize())
        return nullptr;
    const std::string &p = sp->IdToPiece(id);
    *len = p.size();
    return p.data();
}

extern "C" int lw_spm_piece_to_id(const void *spm, const char *piece, size_t len)
{
    auto *sp = static_cast<const sentencepiece::SentencePieceProcessor *>(spm);
    std::string_view p(piece, len);
    int id = sp->PieceToId(p);
    // PieceToId answers unk for unknown pieces: only the unk piece itself is unk.
    if (id == sp->unk_id() && sp->IdToPiece(id) != p)
        return -1;
    return id;
}

extern "C" void lw_spm_roles(const void *spm, int roles[4])
{
    auto *sp = static_cast<const sentencepiece::SentencePieceProcessor *>(spm);
    roles[0] = sp->bos_id();
    roles[1] = sp->eos_id();
    roles[2] = sp->pad_id();
    roles[3] = sp->unk_id();
}
