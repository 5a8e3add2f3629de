//! `specs/weather.yaml` implemented: the server the README shows.
//!
//! ```text
//! cargo run --example weather -- --http 127.0.0.1:3000
//! ```

use mcpgen::{Context, ResourceContents, ResourceResult, ToolResult};

mcpgen::include_server!("weather");

/// Synthetic forecasts: a deterministic function of the city and the day.
struct Weather;

fn seed(city: &str) -> f64 {
    city.bytes().map(f64::from).sum::<f64>() % 17.0
}

const SUMMARIES: [&str; 4] = ["sunny", "cloudy", "rain", "windy"];

impl WeatherServer for Weather {
    async fn get_forecast(
        &self,
        _ctx: &Context,
        input: GetForecastInput,
    ) -> ToolResult<GetForecastOutput> {
        let base = seed(&input.city);
        let days = input.days.get();
        let convert = |celsius: f64| match input.units {
            GetForecastInputUnits::Celsius => celsius,
            GetForecastInputUnits::Fahrenheit => celsius * 9.0 / 5.0 + 32.0,
        };
        let forecast = (0..days)
            .map(|day| {
                let high = base + 8.0 + (day % 5) as f64;
                GetForecastOutputDaysItem {
                    day: day as i64,
                    high: convert(high),
                    low: convert(high - 7.0),
                    summary: SUMMARIES[(day as usize + base as usize) % SUMMARIES.len()].to_owned(),
                }
            })
            .collect();
        Ok(GetForecastOutput {
            city: input.city,
            days: forecast,
        })
    }

    async fn read_current_conditions(
        &self,
        _ctx: &Context,
        uri: &str,
        vars: CurrentConditionsVariables,
    ) -> ResourceResult {
        let temperature = seed(&vars.city) + 10.0;
        Ok(ResourceContents::text(
            uri,
            "text/plain",
            format!(
                "{}: {temperature:.0} °C, {}",
                vars.city,
                SUMMARIES[temperature as usize % 4]
            ),
        )
        .into())
    }
}

fn main() -> std::process::ExitCode {
    server(Weather).main()
}
