//! An Item's accounts: `/item/get`, `/accounts/get`, `/accounts/balance/get` and
//! `/liabilities/get`.

use serde::{Deserialize, Serialize};

use super::{Ctx, ItemOut, select_accounts};
use crate::error::ApiError;
use crate::store;
use crate::wire::{AccountBase, CreditCardLiability};

/// A request that names only an Item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemRequest {
    access_token: String,
}

#[derive(Debug, Serialize)]
pub(super) struct ItemGot {
    item: ItemOut,
    request_id: String,
}

pub(super) async fn item_get(ctx: Ctx, req: ItemRequest) -> Result<ItemGot, ApiError> {
    let item = ctx.item(&req.access_token)?;
    Ok(ItemGot {
        item: ItemOut::new(&item, ctx.link(&item).as_ref()),
        request_id: ctx.request_id,
    })
}

/// A request for some of an Item's accounts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountsRequest {
    access_token: String,
    options: Option<AccountsOptions>,
}

/// Its `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountsOptions {
    account_ids: Option<Vec<String>>,
    /// `/accounts/balance/get` only; the data is always as fresh as it gets.
    #[allow(dead_code)]
    min_last_updated_datetime: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct AccountsGot {
    accounts: Vec<AccountBase>,
    item: ItemOut,
    request_id: String,
}

/// The Item's accounts that `req` asks for, as Plaid shows them.
async fn accounts(
    ctx: &Ctx,
    req: AccountsRequest,
) -> Result<(Vec<AccountBase>, ItemOut), ApiError> {
    let item = ctx.item(&req.access_token)?;
    let wanted = req.options.unwrap_or_default().account_ids;
    let user = item.user_id.clone();
    let accounts = ctx
        .state
        .pool
        .read(move |conn| {
            let accounts = store::accounts_of(conn, &user)?;
            let accounts = select_accounts(accounts, wanted.as_deref(), "options.account_ids")?;
            let pending = store::pending_out(conn, &store::ids_of(&accounts))?;
            Ok(accounts
                .iter()
                .map(|a| AccountBase::new(a, pending.get(&a.id).copied().unwrap_or(0)))
                .collect())
        })
        .await?;
    Ok((accounts, ItemOut::new(&item, ctx.link(&item).as_ref())))
}

pub(super) async fn accounts_get(ctx: Ctx, req: AccountsRequest) -> Result<AccountsGot, ApiError> {
    let (accounts, item) = accounts(&ctx, req).await?;
    Ok(AccountsGot {
        accounts,
        item,
        request_id: ctx.request_id,
    })
}

/// `/accounts/balance/get`: the same balances; the seeded data is as current as it gets.
pub(super) async fn balance_get(ctx: Ctx, req: AccountsRequest) -> Result<AccountsGot, ApiError> {
    accounts_get(ctx, req).await
}

#[derive(Debug, Serialize)]
pub(super) struct LiabilitiesGot {
    accounts: Vec<AccountBase>,
    item: ItemOut,
    liabilities: Liabilities,
    request_id: String,
}

/// Plaid's `LiabilitiesObject`: cards from their statement fields; the data holds no
/// mortgages or student loans as liabilities, so those keys are `null`.
#[derive(Debug, Serialize)]
struct Liabilities {
    credit: Option<Vec<CreditCardLiability>>,
    mortgage: Option<Vec<()>>,
    student: Option<Vec<()>>,
}

pub(super) async fn liabilities_get(
    ctx: Ctx,
    req: AccountsRequest,
) -> Result<LiabilitiesGot, ApiError> {
    let item = ctx.item(&req.access_token)?;
    let wanted = req.options.unwrap_or_default().account_ids;
    let user = item.user_id.clone();
    let (accounts, credit) = ctx
        .state
        .pool
        .read(move |conn| {
            let accounts = store::accounts_of(conn, &user)?;
            let accounts = select_accounts(accounts, wanted.as_deref(), "options.account_ids")?;
            let pending = store::pending_out(conn, &store::ids_of(&accounts))?;
            let credit: Vec<CreditCardLiability> = accounts
                .iter()
                .filter(|a| a.account_type == "credit")
                .map(CreditCardLiability::new)
                .collect();
            let shown = accounts
                .iter()
                .map(|a| AccountBase::new(a, pending.get(&a.id).copied().unwrap_or(0)))
                .collect();
            Ok((shown, credit))
        })
        .await?;
    Ok(LiabilitiesGot {
        accounts,
        item: ItemOut::new(&item, ctx.link(&item).as_ref()),
        liabilities: Liabilities {
            credit: (!credit.is_empty()).then_some(credit),
            mortgage: None,
            student: None,
        },
        request_id: ctx.request_id,
    })
}
